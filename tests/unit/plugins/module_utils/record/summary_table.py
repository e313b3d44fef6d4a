"""Reading back the table of the terminal summary (unit tests and the integration tests of what people see)."""

import re


def summary_table(lines):
    """{instance id: cells} of the summary's table: from the INSTANCE header to the first blank line, cells separated by 2+ spaces."""
    start = next(n for n, line in enumerate(lines) if line.startswith("INSTANCE "))
    rows = {}
    for line in lines[start + 1:]:
        if not line:
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells
    return rows
