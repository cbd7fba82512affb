//! Excel 97–2003 workbooks (.xls, a binary compound file) are recognised and refused with a
//! clear way forward. No reader of them is safe on hostile bytes here: calamine's, the one
//! well-kept Rust reader, was tried and our fuzzer made it abort the process within a minute
//! (a cyclic sector chain in the compound file grows a buffer without end; the sheet's
//! DIMENSIONS record goes to `Vec::reserve` unchecked), the very crash class the upload path
//! must not have. Writing a bounded BIFF8 reader is not worth it for a format Excel replaced
//! in 2007: one "Save as" gives an .xlsx or .ods, which are read.

use super::{Limits, Rows, SheetError};

pub(super) fn read_rows(
    _bytes: &[u8],
    _limits: Limits,
    _rows: &mut Rows<'_>,
) -> Result<(), SheetError> {
    Err(SheetError::OldExcel)
}
