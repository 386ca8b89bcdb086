//! The statements of one write job, on either database, as plain blocking calls.
//!
//! A write job (a message with its conversation, a close with its timeline event) runs several
//! statements that must commit together, and reads what it just wrote. On either database a
//! job runs on the writer thread inside the batch's transaction (`writer.rs`, `sessions.rs`),
//! which hands it a [`Statements`], so each job is written once. Rows come back as owned
//! [`Values`].

use std::cell::RefCell;

use sqlx::postgres::PgRow;
use sqlx::{Column, PgConnection, Row as _, TypeInfo};

use super::db::{postgres_sql, Value};
use super::StoreError;

/// One row read by a write job: its columns in order.
#[derive(Debug)]
pub struct Values(Vec<Value>);

impl Values {
    /// An integer column that may be NULL.
    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Value::Int(v)) => *v,
            Some(Value::Real(v)) => v.map(|v| v as i64),
            _ => None,
        }
    }

    /// An integer column (NULL reads as 0).
    pub fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }

    /// A text column that may be NULL.
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match self.0.get(i) {
            Some(Value::Text(v)) => v.clone(),
            _ => None,
        }
    }

    /// A text column (NULL reads as empty).
    pub fn text(&self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }
}

/// What a write job runs its statements on.
pub trait Statements {
    /// Runs a statement (`?` or `?N` placeholders); how many rows it changed. A broken
    /// uniqueness rule is [`StoreError::AlreadyExists`]. A job must end on a statement's error
    /// (PostgreSQL refuses the rest of a transaction after one; the job's savepoint undoes it):
    /// to skip a row that is already there, use `INSERT OR IGNORE` instead of catching the error.
    fn execute(&self, sql: &str, values: Vec<Value>) -> Result<u64, StoreError>;

    /// Runs a query (or a statement with `RETURNING`) and reads every row.
    fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Values>, StoreError>;

    /// The first row of [`Statements::rows`], if any.
    fn row(&self, sql: &str, values: Vec<Value>) -> Result<Option<Values>, StoreError> {
        Ok(self.rows(sql, values)?.into_iter().next())
    }
}

/// The values of a statement: `vals![a, b]`.
macro_rules! vals {
    ($($value:expr),* $(,)?) => {
        vec![$( $crate::store::db::Value::from($value) ),*]
    };
}
pub(super) use vals;

/// A broken uniqueness rule on the writer's connection, as the store reports it.
fn lite_error(err: rusqlite::Error) -> StoreError {
    if super::is_unique_violation(&err) {
        return StoreError::AlreadyExists(err.to_string());
    }
    err.into()
}

fn lite_value(v: Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Lite;
    match v {
        Value::Int(Some(i)) => Lite::Integer(i),
        Value::Real(Some(r)) => Lite::Real(r),
        Value::Text(Some(t)) => Lite::Text(t),
        Value::Bytes(Some(b)) => Lite::Blob(b),
        _ => Lite::Null,
    }
}

impl Statements for rusqlite::Connection {
    fn execute(&self, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
        let params = rusqlite::params_from_iter(values.into_iter().map(lite_value));
        let changed = self.prepare_cached(sql)?.execute(params).map_err(lite_error)?;
        Ok(changed as u64)
    }

    fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Values>, StoreError> {
        let mut statement = self.prepare_cached(sql)?;
        let columns = statement.column_count();
        let params = rusqlite::params_from_iter(values.into_iter().map(lite_value));
        let mut rows = statement.query(params).map_err(lite_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(lite_error)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                use rusqlite::types::ValueRef;
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Int(None),
                    ValueRef::Integer(v) => Value::Int(Some(v)),
                    ValueRef::Real(v) => Value::Real(Some(v)),
                    ValueRef::Text(v) => Value::Text(Some(String::from_utf8_lossy(v).into_owned())),
                    ValueRef::Blob(v) => Value::Bytes(Some(v.to_vec())),
                });
            }
            out.push(Values(values));
        }
        Ok(out)
    }
}

/// A PostgreSQL transaction driven from a blocking thread.
pub struct PgStatements<'a> {
    conn: RefCell<&'a mut PgConnection>,
    runtime: tokio::runtime::Handle,
}

impl<'a> PgStatements<'a> {
    /// Statements on `conn` (inside a transaction), run to completion on `runtime`.
    pub fn new(conn: &'a mut PgConnection, runtime: tokio::runtime::Handle) -> Self {
        PgStatements { conn: RefCell::new(conn), runtime }
    }

    /// Runs one statement: its rows when `read` says so, else how many rows it changed. No
    /// savepoint of its own: a statement that fails ends the job, whose savepoint undoes it.
    fn run(&self, sql: &str, values: Vec<Value>, read: bool) -> Result<(Vec<PgRow>, u64), StoreError> {
        let sql = postgres_sql(sql);
        let mut conn = self.conn.borrow_mut();
        let conn: &mut PgConnection = &mut conn;
        self.runtime.block_on(async {
            let query = super::db::bind_postgres(&sql, values);
            let ran = match read {
                true => query.fetch_all(&mut *conn).await.map(|rows| (rows, 0)),
                false => query.execute(&mut *conn).await.map(|done| (Vec::new(), done.rows_affected())),
            };
            ran.map_err(|err| super::unique_violation(err, || "already exists".into()))
        })
    }
}

impl Statements for PgStatements<'_> {
    fn execute(&self, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
        Ok(self.run(sql, values, false)?.1)
    }

    fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Values>, StoreError> {
        Ok(self.run(sql, values, true)?.0.iter().map(pg_values).collect())
    }
}

/// A PostgreSQL row as owned values, each column read by its type.
fn pg_values(row: &PgRow) -> Values {
    let values = row
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| match column.type_info().name() {
            "INT8" => Value::Int(row.try_get::<Option<i64>, _>(i).ok().flatten()),
            "INT4" => Value::Int(row.try_get::<Option<i32>, _>(i).ok().flatten().map(i64::from)),
            "INT2" => Value::Int(row.try_get::<Option<i16>, _>(i).ok().flatten().map(i64::from)),
            "BOOL" => Value::Int(row.try_get::<Option<bool>, _>(i).ok().flatten().map(i64::from)),
            "FLOAT8" => Value::Real(row.try_get::<Option<f64>, _>(i).ok().flatten()),
            "FLOAT4" => Value::Real(row.try_get::<Option<f32>, _>(i).ok().flatten().map(f64::from)),
            "BYTEA" => Value::Bytes(row.try_get::<Option<Vec<u8>>, _>(i).ok().flatten()),
            _ => Value::Text(row.try_get::<Option<String>, _>(i).ok().flatten()),
        })
        .collect();
    Values(values)
}
