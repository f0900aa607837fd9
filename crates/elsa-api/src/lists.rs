//! The envelopes Elsa wraps lists and counts in, shared by every route family so the OpenAPI
//! document names one shape for each.

use serde::Serialize;
use utoipa::ToSchema;

/// Elsa's `ListResponse<T>`: every item, and how many there are.
#[derive(Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    pub count: usize,
}

impl<T> From<Vec<T>> for ListResponse<T> {
    fn from(items: Vec<T>) -> Self {
        Self {
            count: items.len(),
            items,
        }
    }
}

/// `{items}` alone, where Elsa sends no count.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// Elsa's `PagedListResponse<T>`: one page, and how many items all pages hold.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PagedList<T> {
    pub items: Vec<T>,
    pub total_count: i64,
}

impl<T> From<elsa_store::Page<T>> for PagedList<T> {
    fn from(page: elsa_store::Page<T>) -> Self {
        Self {
            items: page.items,
            total_count: page.total_count,
        }
    }
}

/// `{count}`: how many there are, or how many a bulk action or an import handled.
#[derive(Serialize, ToSchema)]
pub struct Count {
    pub count: i64,
}

/// `{deleted}`: how many a bulk delete removed.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}
