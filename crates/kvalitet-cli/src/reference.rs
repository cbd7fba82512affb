//! The reference data the binary carries (see `build.rs`), loaded into an empty database on
//! the first start, and the KKiK values of `serve --demo`.

use std::sync::Arc;

use anyhow::Context;
use kvalitet_app::import::{ImportOptions, NoProgress, import_paths};
use kvalitet_store::SqlStore;

include!(concat!(env!("OUT_DIR"), "/reference.rs"));

/// What the first start did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub reference: bool,
    pub demo: bool,
}

/// Loads the reference data when the database holds no municipality yet, and with `demo`
/// the KKiK values when it holds no values: each set of files through the ordinary import
/// (all or nothing per file), so a second start changes nothing.
pub async fn load_if_empty(
    store: &SqlStore,
    options: &ImportOptions,
    demo: bool,
) -> anyhow::Result<Loaded> {
    let contents = kvalitet_app::report::contents(store).await?;
    let mut loaded = Loaded::default();
    if !contents.municipalities && !REFERENCE.is_empty() {
        import(store, options, REFERENCE).await?;
        loaded.reference = true;
    }
    if demo && !contents.values {
        anyhow::ensure!(
            !DEMO.is_empty(),
            "this kvalitet was built without the demo values (the data folder was not beside \
             the checkout); load values with `kvalitet sync --set kkik` or `kvalitet import`"
        );
        import(store, options, DEMO).await?;
        loaded.demo = true;
    }
    Ok(loaded)
}

/// Writes packed files to a scratch folder and imports them.
async fn import(
    store: &SqlStore,
    options: &ImportOptions,
    files: &[(&str, &[u8])],
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("a scratch folder for the reference data")?;
    let mut paths = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        paths.push(path);
    }
    let report = import_paths(store, &paths, options, Arc::new(NoProgress)).await?;
    if let Some(failed) = report
        .files
        .iter()
        .find(|f| f.failure.is_some() || f.rejected > 0)
    {
        anyhow::bail!(
            "the built-in file {} was not loaded: {}",
            failed.path.display(),
            failed
                .failure
                .as_ref()
                .map(ToString::to_string)
                .or_else(|| failed.errors.first().map(ToString::to_string))
                .unwrap_or_default()
        );
    }
    Ok(())
}
