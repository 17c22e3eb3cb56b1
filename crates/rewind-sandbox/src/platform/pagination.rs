//! `?page=&per_page=` paging as the API does it for lists (deployments,
//! events): the page's slice of a newest-first list, and
//! `meta.pagination {current_page, prev_page, next_page, total_pages,
//! total_count}` with null `prev_page`/`next_page` at the ends.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::api_error::ApiError;

/// The API's default page size for lists.
pub const DEFAULT_PER_PAGE: usize = 30;

/// Past this, a client is asking for everything at once; the API caps it.
pub const MAX_PER_PAGE: usize = 1000;

/// A requested page, 1-based.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: usize,
    pub per_page: usize,
}

impl Page {
    /// Reads `page` and `per_page` from the query string. A value that is
    /// not a positive integer is refused rather than silently replaced, so a
    /// client bug shows up in tests.
    pub fn from_query(query: &HashMap<String, String>) -> Result<Page, ApiError> {
        let page = positive(query, "page")?.unwrap_or(1);
        let per_page = positive(query, "per_page")?
            .unwrap_or(DEFAULT_PER_PAGE)
            .min(MAX_PER_PAGE);
        Ok(Page { page, per_page })
    }

    /// The items of this page, from a list already in display order.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1).saturating_mul(self.per_page);
        if start >= items.len() {
            return &[];
        }
        let end = start.saturating_add(self.per_page).min(items.len());
        &items[start..end]
    }

    /// The `meta` object of a list response holding `total_count` items.
    pub fn meta(&self, total_count: usize) -> Value {
        let total_pages = total_count.div_ceil(self.per_page);
        let prev_page = (self.page > 1).then(|| (self.page - 1).min(total_pages.max(1)));
        let next_page = (self.page < total_pages).then_some(self.page + 1);
        json!({
            "pagination": {
                "current_page": self.page,
                "prev_page": prev_page,
                "next_page": next_page,
                "total_pages": total_pages,
                "total_count": total_count,
            }
        })
    }
}

fn positive(query: &HashMap<String, String>, key: &str) -> Result<Option<usize>, ApiError> {
    let Some(text) = query.get(key) else {
        return Ok(None);
    };
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(ApiError::BadRequest(format!(
            "{key} must be a positive integer, got `{text}`"
        ))),
    }
}
