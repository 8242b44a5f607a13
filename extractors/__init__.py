"""fiscal-extract: structured, checked data from Chinese budget and final-accounts disclosures.

>>> from extractors import extract
>>> result = extract("2021年本年支出合计270万元，其中：基本支出185.88万元。")
>>> [f["concept"] for f in result.facts]
['expenditure_total', 'expenditure.basic']
"""
from .errors import Errors, ExtractionError
from .pipeline import extract, warm_up
from .quantities import Amount, find_quantities
from .result import SCHEMA_VERSION, Result

__version__ = "0.1.0"
__all__ = ["extract", "Result", "Amount", "find_quantities", "Errors", "ExtractionError",
           "SCHEMA_VERSION", "warm_up", "__version__"]
