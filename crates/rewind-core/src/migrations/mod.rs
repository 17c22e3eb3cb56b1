//! Migration evidence: between two releases, which migration files changed
//! and what each does to the data the previous release expects: additive,
//! destructive or rewriting, or unknown. SQL is tokenized and classified
//! statement by statement ([`sql`]); migrations written in code (Knex,
//! TypeORM, Sequelize, Rails) are read for their obvious calls ([`code`]).

mod class;
mod code;
mod evidence;
mod sql;
mod tokenizer;

pub use class::{Class, Reason};
pub use code::{Language, classify_code};
pub use evidence::{MigrationEvidence, MigrationFile, SkippedFile, Verdict, evidence};
pub use sql::classify_sql;
pub use tokenizer::{Statement, Token, statements};
