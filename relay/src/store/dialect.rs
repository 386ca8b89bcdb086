//! SQLite's SQL as PostgreSQL reads it. The store writes its SQL once, in the words both
//! databases share where it can; what is left (placeholders and a few SQLite spellings) is
//! translated here when a query runs on PostgreSQL.

/// SQLite's SQL as PostgreSQL reads it: `?` and `?N` placeholders become `$N` (not inside
/// quoted text), `INSERT OR IGNORE` becomes `ON CONFLICT DO NOTHING`, `IFNULL` becomes
/// `COALESCE`, `instr` becomes `strpos`, `IS [NOT] ?` becomes `IS [NOT] DISTINCT FROM`, `LIKE`
/// (case-blind for ASCII in SQLite) becomes `ILIKE`, and [`LOCK_ROWS`] becomes `FOR UPDATE`.
pub fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    let mut next = 0;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '?' || quoted {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        if digits.is_empty() {
            next += 1;
            digits = next.to_string();
        }
        out.push('$');
        out.push_str(&digits);
    }
    spellings(out)
}

/// Marks the rows a statement reads to write from: SQLite's one writer needs no lock (it is a
/// comment there), while on PostgreSQL another relay may write the same row at the same time,
/// so it becomes `FOR UPDATE` (the second writer waits and then reads the first one's value,
/// e.g. a conversation's `last_seq`).
pub const LOCK_ROWS: &str = " /* FOR UPDATE */";

/// The few words PostgreSQL spells differently (outside placeholders).
fn spellings(mut sql: String) -> String {
    if let Some(at) = sql.find("INSERT OR IGNORE INTO") {
        sql.replace_range(at..at + "INSERT OR IGNORE INTO".len(), "INSERT INTO");
        match sql.find("RETURNING") {
            Some(returning) => sql.insert_str(returning, "ON CONFLICT DO NOTHING "),
            None => sql.push_str(" ON CONFLICT DO NOTHING"),
        }
    }
    nocase(
        sql.replace("IFNULL(", "COALESCE(")
            .replace(" LIKE ", " ILIKE ")
            .replace("instr(", "strpos(")
            .replace(" IS NOT $", " IS DISTINCT FROM $")
            .replace(" IS $", " IS NOT DISTINCT FROM $")
            .replace(LOCK_ROWS, " FOR UPDATE"),
    )
}

/// `a = ? COLLATE NOCASE` becomes `lower(a) = lower($N)` and `x COLLATE NOCASE` (in an `ORDER
/// BY` or `GROUP BY`) becomes `lower(x)`: PostgreSQL's case-blind columns are indexed on
/// `lower(…)` (see `relay/migrations_pg`).
fn nocase(mut sql: String) -> String {
    const NOCASE: &str = " COLLATE NOCASE";
    while let Some(at) = sql.find(NOCASE) {
        let before = &sql[..at];
        let token_start = before.rfind(|c: char| c.is_whitespace() || c == '(').map_or(0, |i| i + 1);
        let token = before[token_start..].to_owned();
        let (start, replacement) = match before[..token_start].strip_suffix(" = ") {
            Some(lhs_part) => {
                let lhs_start = lhs_part.rfind(|c: char| c.is_whitespace() || c == '(').map_or(0, |i| i + 1);
                (lhs_start, format!("lower({}) = lower({token})", &lhs_part[lhs_start..]))
            }
            None => (token_start, format!("lower({token})")),
        };
        sql.replace_range(start..at + NOCASE.len(), &replacement);
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::{postgres_sql, LOCK_ROWS};

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(postgres_sql("SELECT a FROM t WHERE b = ? AND c = ?"), "SELECT a FROM t WHERE b = $1 AND c = $2");
        assert_eq!(
            postgres_sql("UPDATE t SET a = ?3 WHERE id = ?1 AND s = ?2"),
            "UPDATE t SET a = $3 WHERE id = $1 AND s = $2"
        );
        assert_eq!(postgres_sql("SELECT '?' FROM t WHERE a = ?"), "SELECT '?' FROM t WHERE a = $1");
    }

    #[test]
    fn sqlite_spellings_become_postgres() {
        assert_eq!(
            postgres_sql("INSERT OR IGNORE INTO t (a) VALUES (?)"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            postgres_sql("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING a"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING a"
        );
        assert_eq!(
            postgres_sql("SELECT IFNULL(a, 0) FROM t WHERE b LIKE ?"),
            "SELECT COALESCE(a, 0) FROM t WHERE b ILIKE $1"
        );
        assert_eq!(
            postgres_sql(&format!("SELECT a FROM t WHERE id = ?{LOCK_ROWS}")),
            "SELECT a FROM t WHERE id = $1 FOR UPDATE"
        );
    }

    #[test]
    fn case_blind_comparisons_use_lower() {
        assert_eq!(
            postgres_sql("SELECT 1 FROM u WHERE s = ?1 AND u.email = ?2 COLLATE NOCASE"),
            "SELECT 1 FROM u WHERE s = $1 AND lower(u.email) = lower($2)"
        );
        assert_eq!(
            postgres_sql("SELECT MIN(tag) FROM t GROUP BY tag COLLATE NOCASE ORDER BY tag COLLATE NOCASE"),
            "SELECT MIN(tag) FROM t GROUP BY lower(tag) ORDER BY lower(tag)"
        );
    }
}
