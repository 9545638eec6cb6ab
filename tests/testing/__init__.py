"""Tests of the FakeLayers test kit (a package: its conftest must not clash with the root one)."""
