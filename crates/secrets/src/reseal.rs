//! Re-sealing with the active key while the service runs.

use crate::{KeyRing, Place};

/// What a re-seal pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResealReport {
    /// Values now sealed with the active key.
    pub resealed: u64,
    /// Values changed by a request while they were being re-sealed (the new value is already
    /// sealed with the active key by whoever wrote it).
    pub changed_meanwhile: u64,
    /// Values that could not be opened (their key is not in the ring); left as they were.
    pub failed: u64,
}

impl ResealReport {
    pub fn add(&mut self, other: ResealReport) {
        self.resealed += other.resealed;
        self.changed_meanwhile += other.changed_meanwhile;
        self.failed += other.failed;
    }
}

/// Re-seals one column with the active key, `batch` rows at a time, while the service keeps
/// running: `load(after_id, limit)` returns `(id, sealed)` rows with `id > after_id` that are
/// not sealed with the active key (see [`KeyRing::active_like_pattern`]), in id order;
/// `store(id, old, new)` replaces `old` by `new` only if the row still holds `old` (so a
/// concurrent update is never overwritten) and says whether it did.
pub fn reseal_column<E>(
    ring: &KeyRing,
    table: &str,
    column: &str,
    batch: i64,
    mut load: impl FnMut(i64, i64) -> Result<Vec<(i64, String)>, E>,
    mut store: impl FnMut(i64, &str, &str) -> Result<bool, E>,
) -> Result<ResealReport, E> {
    let mut report = ResealReport::default();
    let mut after = 0;
    loop {
        let rows = load(after, batch)?;
        let Some((last, _)) = rows.last() else {
            return Ok(report);
        };
        after = *last;
        for (row_id, sealed) in rows {
            let place = Place {
                table,
                column,
                row_id,
            };
            match ring.open(&sealed, place) {
                Ok(plain) => {
                    if store(row_id, &sealed, &ring.seal(&plain, place))? {
                        report.resealed += 1;
                    } else {
                        report.changed_meanwhile += 1;
                    }
                }
                Err(err) => {
                    log::error!("{table}.{column} of row {row_id}: {err}");
                    report.failed += 1;
                }
            }
        }
    }
}

/// Re-seals every value of one sealed column that is not sealed with the active key, `batch`
/// rows at a time: [`reseal_column`] over `$table.$column` of the caller's `diesel::table!`
/// schema, whose key is `id`. The table and column names are the [`Place`] the values were
/// sealed for; a nullable column's nulls are left alone. `$conn` is a `&mut` connection of the
/// caller's database (any backend Diesel runs these queries on); the expression is a
/// `QueryResult<ResealReport>`.
#[macro_export]
macro_rules! reseal_rows {
    ($conn:expr, $ring:expr, $batch:expr, $table:ident . $column:ident) => {{
        use ::diesel::prelude::*;
        let ring: &$crate::KeyRing = $ring;
        let pattern = ring.active_like_pattern();
        let conn = ::std::cell::RefCell::new(&mut *$conn);
        $crate::reseal_column(
            ring,
            stringify!($table),
            stringify!($column),
            $batch,
            |after, limit| {
                $table::table
                    .select(($table::id, $table::$column.nullable().assume_not_null()))
                    .filter($table::id.gt(after))
                    .filter($table::$column.is_not_null())
                    .filter($table::$column.not_like(&pattern))
                    .order($table::id)
                    .limit(limit)
                    .load::<(i64, String)>(*conn.borrow_mut())
            },
            |id, old, new| {
                ::diesel::update($table::table.find(id).filter($table::$column.eq(old)))
                    .set($table::$column.eq(new))
                    .execute(*conn.borrow_mut())
                    .map(|n| n == 1)
            },
        )
    }};
}
