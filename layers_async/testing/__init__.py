"""The Layers test kit: ``FakeLayers``, an in-process fake of the Layers API.

```python
async with FakeLayers(time_scale=1000) as fake:
    async with fake.client() as layers:
        ...
```
"""

from ._faults import Fault, Faults
from ._journal import JournalEntry
from ._server import FakeLayers

__all__ = ["FakeLayers", "Fault", "Faults", "JournalEntry"]
