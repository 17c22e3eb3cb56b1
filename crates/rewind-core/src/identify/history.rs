//! The app's deployments, newest first, fetched page by page only as far as
//! a caller reads.

use crate::platform::{Deployment, Page, Platform, PlatformError};

pub struct History<'a> {
    platform: &'a dyn Platform,
    app: &'a str,
    per_page: u32,
    loaded: Vec<Deployment>,
    next_page: Option<u32>,
}

impl<'a> History<'a> {
    pub fn new(platform: &'a dyn Platform, app: &'a str, per_page: u32) -> Self {
        History {
            platform,
            app,
            per_page: per_page.max(1),
            loaded: Vec::new(),
            next_page: Some(1),
        }
    }

    /// The same history, its first page already read by the caller (with
    /// `per_page` items a page), so that it is not asked for again.
    pub fn starting_with(
        platform: &'a dyn Platform,
        app: &'a str,
        per_page: u32,
        first: Page<Deployment>,
    ) -> Self {
        let mut history = History::new(platform, app, per_page);
        history.take_page(1, first);
        history
    }

    /// The `index`-th newest deployment, or `None` past the oldest.
    pub fn get(&mut self, index: usize) -> Result<Option<&Deployment>, PlatformError> {
        while index >= self.loaded.len() {
            let Some(page) = self.next_page else {
                return Ok(None);
            };
            let answer = self.platform.deployments(self.app, page, self.per_page)?;
            self.take_page(page, answer);
        }
        Ok(self.loaded.get(index))
    }

    fn take_page(&mut self, page: u32, answer: Page<Deployment>) {
        let got = answer.items.len();
        self.loaded.extend(answer.items);
        // Trust next_page when given; without pagination, a short page
        // is the last.
        self.next_page = match answer.next_page {
            Some(n) if n > page => Some(n),
            Some(_) => None,
            None if answer.total_pages.is_some_and(|t| page < t) => Some(page + 1),
            None => None,
        };
        if got == 0 {
            self.next_page = None;
        }
    }

    /// Deployments read so far.
    pub fn read(&self) -> usize {
        self.loaded.len()
    }
}
