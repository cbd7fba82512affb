//! Packs the reference data into the binary, so that a new site starts with the 290
//! municipalities, their counties, groups, neighbours and map, the KPI catalogue, the KKiK
//! measure sets and the frameworks (and, for `serve --demo`, the KKiK values).
//!
//! The files come from the project's data folder beside the checkout (`../shared/data`,
//! or the folder named by `KVALITET_REFERENCE_DATA`) and from the repository's own `data/`;
//! they are compressed here rather than kept in the repository. A build without that folder
//! carries nothing, and the first start says how to get the data (`kvalitet sync`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Files from the data folder: (path inside it, whether it is the demo's values).
const SHARED: &[(&str, bool)] = &[
    ("kolada_meta/kolada_kpi_catalogue_2026.csv", false),
    (
        "kolada_meta/kolada_kpi_catalogue_2024_opennumbers.csv",
        false,
    ),
    ("kolada_meta/kolada_municipality_2026.csv", false),
    ("kolada_meta/kolada_municipality_groups_2026.csv", false),
    ("municipalities/kommuner.csv", false),
    ("municipalities/lan.csv", false),
    ("municipalities/grannkommuner.json", false),
    ("geo/kommuner_wgs84.geojson", false),
    ("kolada_values/kkik_values_total.csv", true),
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    println!("cargo::rerun-if-env-changed=KVALITET_REFERENCE_DATA");
    let shared = std::env::var_os("KVALITET_REFERENCE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/data"));
    let mut reference = Vec::new();
    let mut demo = Vec::new();
    for (path, is_demo) in SHARED {
        let file = shared.join(path);
        println!("cargo::rerun-if-changed={}", file.display());
        if file.is_file() {
            let entry = pack(&file, &out);
            if *is_demo {
                demo.push(entry);
            } else {
                reference.push(entry);
            }
        }
    }
    // Without the catalogue and the municipalities there is nothing to start a site with.
    let complete = reference.len() == SHARED.iter().filter(|(_, d)| !d).count();
    if !complete {
        reference.clear();
        demo.clear();
    }
    // The sets name catalogue measures: without the catalogue they are left out too.
    let folders: &[&str] = if complete {
        &["data/measure-sets", "data/frameworks"]
    } else {
        &[]
    };
    for folder in folders {
        let dir = root.join(folder);
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
            .unwrap_or_default();
        files.sort();
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "toml"))
        {
            println!("cargo::rerun-if-changed={}", file.display());
            reference.push(pack(file, &out));
        }
    }
    let list = |entries: &[(String, PathBuf)]| {
        entries
            .iter()
            .map(|(name, packed)| {
                format!(
                    "    ({name:?}, include_bytes!({:?})),\n",
                    packed.display().to_string()
                )
            })
            .collect::<String>()
    };
    let code = format!(
        "/// Whether the binary carries the municipalities, catalogue and map.\n\
         pub const COMPLETE: bool = {complete};\n\
         /// (file name, gzip bytes) of the reference data.\n\
         pub const REFERENCE: &[(&str, &[u8])] = &[\n{}];\n\
         /// (file name, gzip bytes) of the demo's values.\n\
         pub const DEMO: &[(&str, &[u8])] = &[\n{}];\n",
        list(&reference),
        list(&demo)
    );
    fs::write(out.join("reference.rs"), code).expect("OUT_DIR is writable");
}

/// Gzips one file into OUT_DIR; returns its name (with `.gz`) and the packed file's path.
fn pack(file: &Path, out: &Path) -> (String, PathBuf) {
    let name = format!(
        "{}.gz",
        file.file_name()
            .and_then(|n| n.to_str())
            .expect("a file name")
    );
    let bytes = fs::read(file).expect("a readable reference file");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes).expect("compressing into memory");
    let packed = out.join(&name);
    fs::write(&packed, gz.finish().expect("compressing into memory")).expect("OUT_DIR is writable");
    (name, packed)
}
