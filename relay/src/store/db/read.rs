//! What a query gives back, from either database: a [`Row`] read by column with the
//! type conversions the two databases need (SQLite's integers as flags, PostgreSQL's `BIGINT`s),
//! one column per row ([`Scalar`]), or a type per row ([`As`]).

use std::marker::PhantomData;

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{ColumnIndex, Decode, FromRow, Postgres, Sqlite, Type};

use super::{On, Query, Value};

/// A row read from either database.
pub enum Row {
    /// From SQLite.
    Sqlite(SqliteRow),
    /// From PostgreSQL.
    Postgres(PgRow),
}

impl Row {
    /// The value of a column (by name or position). A column of another type is a bug in the
    /// store's SQL, found by its tests on both databases.
    #[track_caller]
    pub fn get<'r, T, I>(&'r self, index: I) -> T
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>,
        T: Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>,
    {
        match self.try_get(index) {
            Ok(value) => value,
            Err(e) => panic!("a store query read a column as the wrong type: {e}"),
        }
    }

    /// A flag column (0 or 1 in both schemas) as a bool.
    #[track_caller]
    pub fn flag<I>(&self, index: I) -> bool
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + Copy,
    {
        self.maybe_flag(index).unwrap_or(false)
    }

    /// A flag column that may be NULL.
    #[track_caller]
    pub fn maybe_flag<I>(&self, index: I) -> Option<bool>
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + Copy,
    {
        self.int_like(index).map(|v| v != 0)
    }

    /// An integer column of any width (PostgreSQL types `CASE … THEN 1` as INT4 and a
    /// comparison as BOOL; SQLite has one integer type), or NULL.
    #[track_caller]
    pub fn int_like<I>(&self, index: I) -> Option<i64>
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + Copy,
    {
        match self {
            Row::Sqlite(_) => self.get::<Option<i64>, I>(index),
            Row::Postgres(row) => sqlx::Row::try_get::<Option<i64>, I>(row, index)
                .or_else(|_| sqlx::Row::try_get::<Option<i32>, I>(row, index).map(|v| v.map(i64::from)))
                .or_else(|_| sqlx::Row::try_get::<Option<bool>, I>(row, index).map(|v| v.map(i64::from)))
                .unwrap_or_else(|e| panic!("a store query read a column as the wrong type: {e}")),
        }
    }

    /// The value of a column, or why it cannot be read as `T`.
    pub fn try_get<'r, T, I>(&'r self, index: I) -> Result<T, sqlx::Error>
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>,
        T: Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>,
    {
        match self {
            Row::Sqlite(row) => sqlx::Row::try_get(row, index),
            Row::Postgres(row) => sqlx::Row::try_get(row, index),
        }
    }

    /// The row as `T` (a tuple or a `sqlx::FromRow` struct).
    pub fn read<T>(&self) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
    {
        match self {
            Row::Sqlite(row) => T::from_row(row),
            Row::Postgres(row) => T::from_row(row),
        }
    }
}

/// A query read as one column per row; see [`query_scalar`].
#[must_use = "a query does nothing until it is run"]
pub struct Scalar<'q, T> {
    pub(super) query: Query<'q>,
    pub(super) out: PhantomData<fn() -> T>,
}

impl<'q, T> Scalar<'q, T>
where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>,
{
    /// Binds the next placeholder.
    pub fn bind(self, value: impl Into<Value>) -> Self {
        Scalar { query: self.query.bind(value), out: PhantomData }
    }

    /// Runs the query and reads every row's value.
    pub async fn fetch_all<'c>(self, on: impl On<'c>) -> Result<Vec<T>, sqlx::Error> {
        self.query.fetch_all(on).await?.iter().map(|row| row.try_get(0)).collect()
    }

    /// Runs the query and reads the first row's value, if there is a row.
    pub async fn fetch_optional<'c>(self, on: impl On<'c>) -> Result<Option<T>, sqlx::Error> {
        Ok(self.fetch_all(on).await?.into_iter().next())
    }

    /// Runs the query and reads the first row's value, which must exist.
    pub async fn fetch_one<'c>(self, on: impl On<'c>) -> Result<T, sqlx::Error> {
        self.fetch_optional(on).await?.ok_or(sqlx::Error::RowNotFound)
    }
}

/// A query read as `T` per row; see [`query_as`].
#[must_use = "a query does nothing until it is run"]
pub struct As<'q, T> {
    pub(super) query: Query<'q>,
    pub(super) out: PhantomData<fn() -> T>,
}

impl<'q, T> As<'q, T>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
{
    /// Binds the next placeholder.
    pub fn bind(self, value: impl Into<Value>) -> Self {
        As { query: self.query.bind(value), out: PhantomData }
    }

    /// Runs the query and reads every row.
    pub async fn fetch_all<'c>(self, on: impl On<'c>) -> Result<Vec<T>, sqlx::Error> {
        self.query.fetch_all(on).await?.iter().map(Row::read).collect()
    }

    /// Runs the query and reads the first row, if any.
    pub async fn fetch_optional<'c>(self, on: impl On<'c>) -> Result<Option<T>, sqlx::Error> {
        Ok(self.fetch_all(on).await?.into_iter().next())
    }
}
