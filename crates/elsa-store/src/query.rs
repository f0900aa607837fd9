//! A small builder for the list queries: SQL text with `$n` placeholders plus the values to
//! bind, so optional filters are written once for both backends.

/// A value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Bool(bool),
    Time(chrono::DateTime<chrono::Utc>),
}

/// `WHERE` clauses joined with `AND`, and their arguments in placeholder order.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    pub(crate) args: Vec<Arg>,
}

impl Conditions {
    /// Adds a clause; each `?` in it becomes the next `$n` placeholder, bound to `args` in order.
    pub(crate) fn push(&mut self, clause: &str, args: impl IntoIterator<Item = Arg>) {
        let mut text = String::new();
        for (i, part) in clause.split('?').enumerate() {
            if i > 0 {
                text.push_str(&format!("${}", self.args.len() + i));
            }
            text.push_str(part);
        }
        self.args.extend(args);
        self.clauses.push(text);
    }

    /// `col IN ($a, $b, ...)`; an empty list matches nothing.
    pub(crate) fn push_in(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            self.clauses.push("1 = 0".into());
            return;
        }
        let marks = vec!["?"; values.len()].join(", ");
        self.push(
            &format!("{column} IN ({marks})"),
            values.iter().cloned().map(Arg::Text),
        );
    }

    pub(crate) fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// A paged list query: `SELECT {columns} FROM {table} WHERE … ORDER BY …` plus its count.
pub(crate) struct ListQuery {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static str,
    pub(crate) conditions: Conditions,
    pub(crate) order_by: &'static str,
    pub(crate) descending: bool,
    pub(crate) page: Option<PageRequest>,
}

impl ListQuery {
    /// Runs the list and the count on the same filters. `id` breaks ties, so pages are stable.
    pub(crate) async fn fetch<T>(self, db: &crate::Database) -> crate::Result<(Vec<T>, i64)>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let where_sql = self.conditions.where_sql();
        let dir = if self.descending { "DESC" } else { "ASC" };
        let list_sql = format!(
            "SELECT {} FROM \"{}\"{where_sql} ORDER BY {} {dir}, id{}",
            self.columns,
            self.table,
            self.order_by,
            PageRequest::limit_sql(self.page)
        );
        let count_sql = format!("SELECT COUNT(*) FROM \"{}\"{where_sql}", self.table);
        let args = &self.conditions.args;
        Ok(crate::with_pool!(db, read, |p| {
            let rows = bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(list_sql)), args)
                .fetch_all(p)
                .await?;
            let total = bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql)), args)
                .fetch_one(p)
                .await?;
            (rows, total)
        }))
    }
}

/// Binds [`Arg`]s to a query of any backend.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                $crate::query::Arg::Text(s) => q.bind(s.clone()),
                $crate::query::Arg::Int(i) => q.bind(*i),
                $crate::query::Arg::Bool(b) => q.bind(*b),
                $crate::query::Arg::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

/// Case-insensitive "contains" pattern for `LIKE`, with the wildcards in `term` escaped.
pub(crate) fn contains_pattern(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Paging as Elsa does it: 0-based page and a page size; both or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
}

impl PageRequest {
    pub(crate) fn limit_sql(page: Option<PageRequest>) -> String {
        match page {
            Some(p) => format!(
                " LIMIT {} OFFSET {}",
                p.page_size,
                u64::from(p.page) * u64::from(p.page_size)
            ),
            None => String::new(),
        }
    }
}

/// One page of a list and the total number of matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_clauses() {
        let mut c = Conditions::default();
        c.push("a = ?", [Arg::Int(1)]);
        c.push_in("b", &["x".into(), "y".into()]);
        c.push(
            "(c LIKE ? OR d LIKE ?)",
            [Arg::Text("p".into()), Arg::Text("p".into())],
        );
        assert_eq!(
            c.where_sql(),
            " WHERE a = $1 AND b IN ($2, $3) AND (c LIKE $4 OR d LIKE $5)"
        );
        assert_eq!(contains_pattern("50%_A"), "%50\\%\\_a%");
    }
}
