//! The decision tree: model, TOML loader, validation, walk and renderers.
