//! The git CLI behind a small trait: fetch tags, resolve tags and commits,
//! create and push a `release/<tag>` branch without touching the working
//! tree.
