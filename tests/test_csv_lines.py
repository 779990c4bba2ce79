"""The export writes its rows without ``csv.writer`` (for speed): every row must still be
exactly what ``csv.writer`` writes, and read back by ``csv.reader`` as the same cells."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from tracker.csv_export import Echo, csv_line

# Text rich in what quoting is about, and anything else Unicode allows.
cells = st.text(alphabet=st.sampled_from(',"\r\n \t|\\aé€ї') | st.characters(), max_size=12)
rows = st.lists(cells, max_size=6)


@given(rows)
def test_a_row_is_written_as_csv_writer_writes_it(row):
    assert csv_line(row) == csv.writer(Echo()).writerow(row)


@given(rows.filter(len))
def test_a_row_reads_back_as_its_cells(row):
    assert next(csv.reader(io.StringIO(csv_line(row), newline=""))) == row


def test_the_edges_of_quoting():
    assert csv_line([]) == "\r\n"
    assert csv_line([""]) == '""\r\n'
    assert csv_line(["", ""]) == ",\r\n"
    assert csv_line(['say "yes"', "a,b", "one\ntwo", "plain"]) == (
        '"say ""yes""","a,b","one\ntwo",plain\r\n'
    )
