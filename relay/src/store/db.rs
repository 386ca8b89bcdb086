//! One query API over the two databases the store runs on: SQLite (the default, one file in the
//! data dir) and PostgreSQL (several relays sharing one database).
//!
//! Every read and every rare write of the store is written once, in SQL both databases accept,
//! against this API: [`query`], [`query_scalar`] and [`query_as`] take the SQL with `?` (or
//! `?N`) placeholders and the values, and run on whichever pool, transaction or connection they
//! are given. PostgreSQL gets the SQL with `$N` placeholders and a few spellings turned into its
//! own (`store/dialect.rs`); where the two dialects differ more, a query names both
//! ([`query_in`]). The queries stay plain sqlx underneath (no `Any` driver: the SQLite pools
//! keep their own connection settings, and a value is bound with its real type), so SQLite
//! costs what it did.
//!
//! Why a facade and not a trait with two implementations: the store has about 170 operations,
//! and with a trait each would be written twice, once per database, and drift. Here the SQL
//! is written once, and the few places that differ say so in the query itself.

use std::borrow::Cow;
use std::marker::PhantomData;

use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};

pub use super::dialect::postgres_sql;

mod read;

pub use read::{As, Row, Scalar};

/// A pool of connections to either database.
#[derive(Clone, Debug)]
pub enum Pool {
    /// The embedded database in the data dir.
    Sqlite(SqlitePool),
    /// A PostgreSQL server.
    Postgres(sqlx::PgPool),
}

/// A transaction on either database; `commit` ends it, dropping it rolls back.
pub enum Tx {
    /// On SQLite.
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    /// On PostgreSQL.
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Pool {
    /// Begins a transaction on a connection of the pool.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Waits for the queries in flight and closes every connection.
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Makes the transaction's writes durable.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    /// Undoes the transaction's writes.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
    }
}

/// Where a query runs: a pool, a transaction or a connection of either database.
pub enum Target<'c> {
    /// A SQLite pool.
    SqlitePool(&'c SqlitePool),
    /// One SQLite connection (of a transaction or taken from a pool).
    SqliteConn(&'c mut sqlx::SqliteConnection),
    /// A PostgreSQL pool.
    PostgresPool(&'c PgPool),
    /// One PostgreSQL connection.
    PostgresConn(&'c mut sqlx::PgConnection),
}

/// What a query can run on.
pub trait On<'c> {
    /// The database and connection this stands for.
    fn target(self) -> Target<'c>;
}

impl<'c> On<'c> for &'c Pool {
    fn target(self) -> Target<'c> {
        match self {
            Pool::Sqlite(pool) => Target::SqlitePool(pool),
            Pool::Postgres(pool) => Target::PostgresPool(pool),
        }
    }
}

impl<'c> On<'c> for &'c mut Tx {
    fn target(self) -> Target<'c> {
        match self {
            Tx::Sqlite(tx) => Target::SqliteConn(tx),
            Tx::Postgres(tx) => Target::PostgresConn(tx),
        }
    }
}

/// A value bound to a placeholder, with its type (PostgreSQL checks it; a NULL keeps its type).
#[derive(Debug, Clone)]
pub enum Value {
    /// An integer column (flags are integers 0 and 1 in both schemas).
    Int(Option<i64>),
    /// A floating-point column.
    Real(Option<f64>),
    /// A text column.
    Text(Option<String>),
    /// A byte column (BLOB, BYTEA).
    Bytes(Option<Vec<u8>>),
}

macro_rules! value_from {
    ($variant:ident: $($t:ty => $conv:expr),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                #[allow(clippy::redundant_closure_call)]
                Value::$variant(($conv)(v))
            }
        }
    )*};
}

value_from!(Int:
    i64 => Some,
    i32 => |v| Some(i64::from(v)),
    u32 => |v| Some(i64::from(v)),
    u8 => |v| Some(i64::from(v)),
    bool => |v| Some(i64::from(v)),
    Option<i64> => |v| v,
    Option<i32> => |v: Option<i32>| v.map(i64::from),
    Option<u32> => |v: Option<u32>| v.map(i64::from),
    Option<u8> => |v: Option<u8>| v.map(i64::from),
    Option<bool> => |v: Option<bool>| v.map(i64::from),
);
value_from!(Real: f64 => Some, Option<f64> => |v| v);
value_from!(Text:
    String => Some,
    &str => |v: &str| Some(v.to_owned()),
    &String => |v: &String| Some(v.clone()),
    Option<String> => |v| v,
    Option<&str> => |v: Option<&str>| v.map(str::to_owned),
    Option<&String> => |v: Option<&String>| v.cloned(),
);
value_from!(Bytes:
    Vec<u8> => Some,
    &[u8] => |v: &[u8]| Some(v.to_vec()),
    &Vec<u8> => |v: &Vec<u8>| Some(v.clone()),
    Option<Vec<u8>> => |v| v,
    Option<&[u8]> => |v: Option<&[u8]>| v.map(<[u8]>::to_vec),
);

/// A statement and its values, not yet run.
#[must_use = "a query does nothing until it is run"]
pub struct Query<'q> {
    sql: Cow<'q, str>,
    /// PostgreSQL's own spelling, when it differs from the portable one.
    postgres: Option<Cow<'q, str>>,
    values: Vec<Value>,
}

/// A statement in SQL both databases accept (`?` placeholders).
pub fn query<'q>(sql: impl Into<Cow<'q, str>>) -> Query<'q> {
    Query { sql: sql.into(), postgres: None, values: Vec::new() }
}

#[allow(dead_code)] // the PostgreSQL port (issue 16) uses it where the dialects differ
/// A statement the two databases spell differently: SQLite's and PostgreSQL's text (both with
/// `?` placeholders; PostgreSQL's gets the same translation as any other).
pub fn query_in<'q>(sqlite: impl Into<Cow<'q, str>>, postgres: impl Into<Cow<'q, str>>) -> Query<'q> {
    Query { sql: sqlite.into(), postgres: Some(postgres.into()), values: Vec::new() }
}

/// A query whose rows have one column, read as `T`.
pub fn query_scalar<'q, T>(sql: impl Into<Cow<'q, str>>) -> Scalar<'q, T> {
    Scalar { query: query(sql), out: PhantomData }
}

/// A query whose rows are read as `T` (a tuple or a `sqlx::FromRow` struct).
pub fn query_as<'q, T>(sql: impl Into<Cow<'q, str>>) -> As<'q, T> {
    As { query: query(sql), out: PhantomData }
}

/// What a statement changed.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows: u64,
}

impl Done {
    /// How many rows the statement inserted, changed or deleted.
    pub fn rows_affected(&self) -> u64 {
        self.rows
    }
}

impl<'q> Query<'q> {
    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Runs the statement.
    pub async fn execute<'c>(self, on: impl On<'c>) -> Result<Done, sqlx::Error> {
        let rows = match on.target() {
            Target::SqlitePool(pool) => sqlite(&self.sql, self.values).execute(pool).await?.rows_affected(),
            Target::SqliteConn(conn) => sqlite(&self.sql, self.values).execute(conn).await?.rows_affected(),
            Target::PostgresPool(pool) => {
                let sql = postgres_sql(self.postgres.as_deref().unwrap_or(&self.sql));
                bind_postgres(&sql, self.values).execute(pool).await?.rows_affected()
            }
            Target::PostgresConn(conn) => {
                let sql = postgres_sql(self.postgres.as_deref().unwrap_or(&self.sql));
                bind_postgres(&sql, self.values).execute(conn).await?.rows_affected()
            }
        };
        Ok(Done { rows })
    }

    /// Runs the query and reads every row.
    pub async fn fetch_all<'c>(self, on: impl On<'c>) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match on.target() {
            Target::SqlitePool(pool) => wrap(sqlite(&self.sql, self.values).fetch_all(pool).await?, Row::Sqlite),
            Target::SqliteConn(conn) => wrap(sqlite(&self.sql, self.values).fetch_all(conn).await?, Row::Sqlite),
            Target::PostgresPool(pool) => {
                let sql = postgres_sql(self.postgres.as_deref().unwrap_or(&self.sql));
                wrap(bind_postgres(&sql, self.values).fetch_all(pool).await?, Row::Postgres)
            }
            Target::PostgresConn(conn) => {
                let sql = postgres_sql(self.postgres.as_deref().unwrap_or(&self.sql));
                wrap(bind_postgres(&sql, self.values).fetch_all(conn).await?, Row::Postgres)
            }
        })
    }

    /// Runs the query and reads the first row, if any. Reads every row, as the store always
    /// does (see the note at the end of `store/mod.rs`).
    pub async fn fetch_optional<'c>(self, on: impl On<'c>) -> Result<Option<Row>, sqlx::Error> {
        Ok(self.fetch_all(on).await?.into_iter().next())
    }

    /// Runs the query and reads the first row, which must exist.
    pub async fn fetch_one<'c>(self, on: impl On<'c>) -> Result<Row, sqlx::Error> {
        self.fetch_optional(on).await?.ok_or(sqlx::Error::RowNotFound)
    }
}

fn wrap<R>(rows: Vec<R>, into: fn(R) -> Row) -> Vec<Row> {
    rows.into_iter().map(into).collect()
}

/// The sqlx query for SQLite with the values bound.
fn sqlite(sql: &str, values: Vec<Value>) -> sqlx::query::Query<'_, Sqlite, SqliteArguments<'_>> {
    let mut q = sqlx::query(sql);
    for value in values {
        q = match value {
            Value::Int(v) => q.bind(v),
            Value::Real(v) => q.bind(v),
            Value::Text(v) => q.bind(v),
            Value::Bytes(v) => q.bind(v),
        };
    }
    q
}

/// The sqlx query for PostgreSQL with the values bound (the SQL already translated).
pub(super) fn bind_postgres(sql: &str, values: Vec<Value>) -> sqlx::query::Query<'_, Postgres, PgArguments> {
    let mut q = sqlx::query(sql);
    for value in values {
        q = match value {
            Value::Int(v) => q.bind(v),
            Value::Real(v) => q.bind(v),
            Value::Text(v) => q.bind(v),
            Value::Bytes(v) => q.bind(v),
        };
    }
    q
}
