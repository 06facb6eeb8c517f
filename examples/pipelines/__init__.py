"""Realistic example pipelines: the functions behind ``lyth.yaml`` and the YAML files here.

- ``words``: word count, map-reduce style (``word_count.yaml``);
- ``etl``: extract with retries, route by format with a switch, clean, total
  (``etl.yaml``);
- ``report``: a monthly sales report built around a nested DAG (``report.yaml``).
"""
