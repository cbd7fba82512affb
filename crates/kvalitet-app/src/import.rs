//! The one import path: files (and later the Kolada sync and uploads) are read, checked
//! against the catalogue, and written through [`Store::import`] in one transaction per file.
//!
//! Rules: a bad row rejects the whole file unless `skip_bad_rows` is set; a key repeated
//! with a different value is a bad row (an identical repeat is ignored); values must name a
//! known measure and municipality or group. Metadata files are imported before value files
//! so one `import DIR` of Kolada's folders works.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;

use kvalitet_domain::{
    AreaId, Datum, GroupKind, MeasureId, MunicipalityGroup, MunicipalityId, ValueKey, ValueRow,
    Year,
};
use kvalitet_formats::{Format, Location, Record, RowError};

use crate::ports::{
    CatalogueBatch, Clock, ImportChunk, ImportSource, KnownIds, StoreError, Values, WriteCounts,
};

/// Values per chunk sent to the store.
const CHUNK: usize = 8192;
/// Row errors kept per file for the report; the count covers all of them.
const ERRORS_KEPT: usize = 1000;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Read every file as this format instead of detecting it.
    pub format: Option<Format>,
    /// Write the good rows and list the bad ones, instead of rejecting the file.
    pub skip_bad_rows: bool,
    /// The year a KPI catalogue describes; otherwise a year in the file name (as in
    /// `kolada_kpi_catalogue_2026.csv`), otherwise `current_year`.
    pub catalogue_year: Option<Year>,
    pub current_year: Year,
    /// What time it is: each import batch is stamped with it.
    pub clock: Arc<dyn Clock>,
}

/// Told how far an import has come, e.g. to draw a progress bar.
pub trait Progress: Send + Sync {
    fn start_file(&self, path: &Path, bytes: u64);
    fn advance(&self, bytes: u64);
    fn finish_file(&self);
}

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start_file(&self, _: &Path, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish_file(&self) {}
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub format: Option<&'static str>,
    /// Records read, good and bad.
    pub read: u64,
    pub rejected: u64,
    pub counts: WriteCounts,
    /// The first bad rows, each naming file, place and field.
    pub errors: Vec<String>,
    /// Why nothing of the file was written, if so.
    pub failure: Option<String>,
}

impl FileReport {
    pub fn succeeded(&self) -> bool {
        self.failure.is_none()
    }
}

/// What happened to every file of one `import` run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
}

impl ImportReport {
    pub fn succeeded(&self) -> bool {
        self.files.iter().all(FileReport::succeeded)
    }

    /// Totals over the files that were written.
    pub fn totals(&self) -> (u64, u64, WriteCounts) {
        let mut counts = WriteCounts::default();
        let (mut read, mut rejected) = (0, 0);
        for f in &self.files {
            read += f.read;
            rejected += f.rejected;
            counts += f.counts;
        }
        (read, rejected, counts)
    }
}

/// Errors that stop an import run before any file is read.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {message}")]
    Path { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Expands directories (recursively) into the files kvalitet can read, and orders all
/// files so that metadata comes before values.
pub fn plan_files(
    paths: &[PathBuf],
    format: Option<Format>,
) -> Result<Vec<(PathBuf, Option<Format>)>, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files, true)?;
    }
    let mut planned: Vec<(usize, PathBuf, Option<Format>)> = files
        .into_iter()
        .map(|path| (rank(&path, format), path, format))
        .collect();
    planned.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(planned.into_iter().map(|(_, p, f)| (p, f)).collect())
}

/// Where a file goes in the import order: the position of its format in `Format::ALL`
/// (counties, municipalities, groups, neighbours, KPIs, KPI groups, values). A Kolada JSON
/// page is placed by what it holds.
fn rank(path: &Path, format: Option<Format>) -> usize {
    let position = |f: Format| {
        Format::ALL
            .iter()
            .position(|g| *g == f)
            .unwrap_or(Format::ALL.len())
    };
    let Some(text) = head(path) else {
        return Format::ALL.len();
    };
    let format = format.or_else(|| kvalitet_formats::detect_head(&text).ok());
    match format {
        Some(Format::KoladaJson) => {
            let like = if text.contains("\"FeatureCollection\"") {
                Format::GeoJson
            } else if text.contains("\"period\"") {
                Format::ValuesCsv
            } else if text.contains("\"operating_area\"")
                || text.contains("\"is_divided_by_gender\"")
            {
                Format::KpiCatalogueCsv
            } else if text.contains("\"members\"") {
                Format::MunicipalityGroupsCsv
            } else if text.contains("\"type\"") {
                Format::MunicipalitiesCsv
            } else {
                Format::NeighboursJson
            };
            position(like)
        }
        Some(f) => position(f),
        None => Format::ALL.len(),
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>, explicit: bool) -> Result<(), ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| ImportError::Path {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .and_then(|d| d.map(|e| e.map(|e| e.path())).collect())
            .map_err(|e| ImportError::Path {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        entries.sort();
        for entry in entries {
            collect(&entry, out, false)?;
        }
    } else {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let readable = [".csv", ".csv.gz", ".json", ".json.gz", ".toml"]
            .iter()
            .any(|ext| name.ends_with(ext));
        // A file named on the command line is read whatever its name; in a directory only
        // files with a known extension are (so READMEs and GeoJSON are passed over).
        if explicit || (readable && !name.ends_with(".geojson")) {
            out.push(path.to_owned());
        }
    }
    Ok(())
}

/// A file's format: the one given, else the one its first bytes show.
pub fn detected_format(path: &Path, given: Option<Format>) -> Option<Format> {
    given.or_else(|| head(path).and_then(|text| kvalitet_formats::detect_head(&text).ok()))
}

/// The first 64 KiB of a file as text (gzip undone), for a quick look.
fn head(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    let mut buf = Vec::with_capacity(1 << 16);
    let _ = kvalitet_formats::decompressed(file)
        .ok()?
        .take(1 << 16)
        .read_to_end(&mut buf);
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// A year (1950-2100) written in a file name, e.g. 2026 in `kolada_kpi_catalogue_2026.csv`.
fn year_in_name(path: &Path) -> Option<Year> {
    let name = path.file_name()?.to_string_lossy();
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(3)).find_map(|i| {
        let window = &bytes[i..i + 4];
        let bounded = (i == 0 || !bytes[i - 1].is_ascii_digit())
            && bytes.get(i + 4).is_none_or(|b| !b.is_ascii_digit());
        if bounded && window.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(window)
                .ok()
                .and_then(|s| Year::parse(s).ok())
        } else {
            None
        }
    })
}

/// Imports every file, one transaction each, and reports on all of them. A failed file does
/// not stop the others.
pub async fn import_paths<S: Values>(
    store: &S,
    paths: &[PathBuf],
    options: &ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    for (path, format) in plan_files(paths, options.format)? {
        let file_options = ImportOptions {
            format,
            ..options.clone()
        };
        let file_report = import_file(store, &path, &file_options, progress.clone()).await?;
        report.files.push(file_report);
    }
    Ok(report)
}

/// Imports one file in one transaction.
pub async fn import_file<S: Values>(
    store: &S,
    path: &Path,
    options: &ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<FileReport, ImportError> {
    let format = detected_format(path, options.format);
    let opened = path.to_owned();
    let open: Opener = Box::new(move || {
        let file = File::open(&opened)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok((Box::new(file) as Box<dyn Read + Send>, size))
    });
    import_input(store, path, format, open, options, progress).await
}

/// Imports bytes received from elsewhere (a Kolada API page) in one transaction; `source`
/// (e.g. the URL) is recorded with every value and named in errors.
pub async fn import_bytes<S: Values>(
    store: &S,
    source: &str,
    bytes: Vec<u8>,
    options: &ImportOptions,
) -> Result<FileReport, ImportError> {
    let size = bytes.len() as u64;
    let open: Opener = Box::new(move || {
        Ok((
            Box::new(std::io::Cursor::new(bytes)) as Box<dyn Read + Send>,
            size,
        ))
    });
    import_input(
        store,
        Path::new(source),
        options.format,
        open,
        options,
        Arc::new(NoProgress),
    )
    .await
}

/// Opens an input: its bytes and their number, for the progress bar.
type Opener = Box<dyn FnOnce() -> std::io::Result<(Box<dyn Read + Send>, u64)> + Send>;

async fn import_input<S: Values>(
    store: &S,
    name: &Path,
    format: Option<Format>,
    open: Opener,
    options: &ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<FileReport, ImportError> {
    let known = store.known_ids().await?;
    let (tx, rx) = mpsc::channel(4);
    let source = ImportSource {
        source: name.display().to_string(),
        format: format.map_or("unknown", Format::name).to_owned(),
        at: options.clock.now(),
    };
    let reader = {
        let name = name.to_owned();
        let options = options.clone();
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || {
            read_input(&name, open, &options, known, tx, progress.as_ref())
        })
    };
    let (written, read) = tokio::join!(store.import(&source, rx), reader);
    progress.finish_file();
    let mut report = read.map_err(|e| ImportError::Path {
        path: name.to_owned(),
        message: format!("the reader stopped unexpectedly: {e}"),
    })?;
    match written {
        Ok(counts) if report.failure.is_none() => report.counts = counts,
        Ok(_) => {}
        Err(StoreError::Aborted) => {
            report
                .failure
                .get_or_insert_with(|| "aborted; nothing was written".into());
        }
        Err(e) => {
            report.failure = Some(format!("nothing was written: {e}"));
        }
    }
    if report.failure.is_some() {
        report.counts = WriteCounts::default();
    }
    Ok(report)
}

/// Reads an input on a blocking thread, checking and sending chunks to the store.
fn read_input(
    path: &Path,
    open: Opener,
    options: &ImportOptions,
    known: KnownIds,
    tx: mpsc::Sender<ImportChunk>,
    progress: &dyn Progress,
) -> FileReport {
    let mut report = FileReport {
        path: path.to_owned(),
        format: None,
        read: 0,
        rejected: 0,
        counts: WriteCounts::default(),
        errors: Vec::new(),
        failure: None,
    };
    let (inner, size) = match open() {
        Ok(opened) => opened,
        Err(e) => {
            report.failure = Some(e.to_string());
            return report;
        }
    };
    progress.start_file(path, size);
    let input = CountingReader {
        inner,
        progress,
        pending: 0,
    };
    let mut checker = Checker::new(known);
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut catalogue = CatalogueBatch::default();
    // Where each group and neighbour list was read, for errors found once the file is read.
    let mut places: HashMap<String, Location> = HashMap::new();
    let mut store_gone = false;
    let display = path.display().to_string();
    let note = |report: &mut FileReport, e: RowError| {
        report.rejected += 1;
        if report.errors.len() < ERRORS_KEPT {
            report.errors.push(format!("{display}: {e}"));
        }
    };
    let result = kvalitet_formats::read(input, options.format, &mut |item| {
        report.read += 1;
        let checked = item.and_then(|(location, record)| {
            let place = location.clone();
            checker
                .check(location, record)
                .map(|kept| kept.map(|r| (place, r)))
        });
        match checked {
            // Once the file is rejected, values are no longer sent, but reading goes on so
            // that every bad row is listed at once.
            Ok(Some((_, Record::Value(_)))) if report.rejected > 0 && !options.skip_bad_rows => {}
            Ok(Some((_, Record::Value(row)))) => {
                chunk.push(row);
                if chunk.len() == CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    if tx.blocking_send(ImportChunk::Values(full)).is_err() {
                        store_gone = true;
                        return false;
                    }
                }
            }
            Ok(Some((place, other))) => {
                if let Some(key) = reference_key(&other) {
                    places.insert(key, place);
                }
                add_to_catalogue(&mut catalogue, other);
            }
            Ok(None) => {}
            Err(e) => note(&mut report, e),
        }
        true
    });
    match result {
        Ok(format) => report.format = Some(format.name()),
        Err(e) => {
            report.failure = Some(e.to_string());
            return report;
        }
    }
    if store_gone {
        report.failure = Some("the database stopped the import".into());
        return report;
    }
    if report.rejected > 0 && !options.skip_bad_rows {
        report.failure = Some(format!(
            "{} bad row(s); the file was rejected and nothing was written (use --skip-bad-rows to write the good rows)",
            report.rejected
        ));
        return report;
    }
    for e in checker.check_catalogue(&mut catalogue, &places) {
        note(&mut report, e);
    }
    if report.rejected > 0 && !options.skip_bad_rows {
        report.failure = Some(format!(
            "{} bad reference(s); nothing was written",
            report.rejected
        ));
        return report;
    }
    if !catalogue.measures.is_empty() {
        catalogue.catalogue_year = Some(
            options
                .catalogue_year
                .or_else(|| year_in_name(path))
                .unwrap_or(options.current_year),
        );
    }
    let mut last = Vec::new();
    if !chunk.is_empty() {
        last.push(ImportChunk::Values(chunk));
    }
    if !catalogue.is_empty() {
        last.push(ImportChunk::Catalogue(Box::new(catalogue)));
    }
    last.push(ImportChunk::Commit);
    for message in last {
        if tx.blocking_send(message).is_err() {
            report.failure = Some("the database stopped the import".into());
            break;
        }
    }
    report
}

/// The key under which a record that refers to others is remembered.
fn reference_key(record: &Record) -> Option<String> {
    match record {
        Record::Group(g) => Some(format!("group {}", g.id)),
        Record::Neighbours { municipality, .. } => Some(format!("neighbours {municipality}")),
        Record::KpiGroup(g) => Some(format!("kpi group {}", g.id)),
        Record::Shape { municipality, .. } => Some(format!("shape {municipality}")),
        Record::MeasureSet(set) => Some(format!("measure set {}", set.id)),
        Record::Framework(f) => Some(format!("framework {} {}", f.0.id, f.0.version)),
        _ => None,
    }
}

fn add_to_catalogue(batch: &mut CatalogueBatch, record: Record) {
    match record {
        Record::Value(_) => {}
        Record::Municipality(m) => batch.municipalities.push(m),
        Record::County { county, region } => batch.counties.push((county, region)),
        Record::Group(g) => batch.groups.push(MunicipalityGroup {
            kind: g
                .kind
                .unwrap_or_else(|| GroupKind::classify_kolada(&g.id, &g.title)),
            id: g.id,
            title: g.title,
            members: g.members,
        }),
        Record::Neighbours {
            municipality,
            neighbours,
        } => batch.neighbours.push((municipality, neighbours)),
        Record::Measure(m) => batch.measures.push(*m),
        Record::KpiGroup(g) => batch.kpi_groups.push(g),
        Record::MeasureSet(set) => batch.measure_sets.push(*set),
        Record::Framework(f) => batch.frameworks.push(*f),
        Record::Shape {
            municipality,
            svg_path,
        } => batch.shapes.push((municipality, svg_path)),
    }
}

/// A fast hasher for the small keys below: Fx-style mixing per word and a splitmix64
/// finish, so keys that differ only in high bits still spread over the table.
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Checks values against the catalogue and against each other within one file.
struct Checker {
    known: KnownIds,
    measure_index: FastMap<MeasureId, u64>,
    area_index: FastMap<AreaId, u64>,
    /// Packed key -> fingerprint of (datum, count), to tell a harmless repeat from a conflict.
    seen: FastMap<u64, u64>,
    /// Municipalities and measures defined earlier in the same file.
    batch_municipalities: std::collections::HashSet<MunicipalityId>,
    batch_measures: std::collections::HashSet<MeasureId>,
}

impl Checker {
    fn new(known: KnownIds) -> Self {
        Self {
            known,
            measure_index: FastMap::default(),
            area_index: FastMap::default(),
            seen: FastMap::default(),
            batch_municipalities: Default::default(),
            batch_measures: Default::default(),
        }
    }

    fn require_municipality(
        &self,
        location: &Location,
        field: &str,
        m: &MunicipalityId,
    ) -> Result<(), RowError> {
        if self.known.municipalities.contains(m) || self.batch_municipalities.contains(m) {
            Ok(())
        } else {
            Err(RowError::new(
                location.clone().with_field(field),
                format!("unknown municipality {m}; import the municipalities first"),
            ))
        }
    }

    /// Returns the record to keep, `None` for an identical repeat, or why it is bad.
    fn check(&mut self, location: Location, record: Record) -> Result<Option<Record>, RowError> {
        let row = match record {
            Record::Value(row) => row,
            Record::Municipality(m) => {
                self.batch_municipalities.insert(m.id);
                return Ok(Some(Record::Municipality(m)));
            }
            Record::Measure(m) => {
                match (m.origin, m.id.own_namespace()) {
                    (kvalitet_domain::MeasureOrigin::Own(owner), namespace) => {
                        self.require_municipality(&location, "owner", &owner)?;
                        if namespace != Some(owner) {
                            return Err(RowError::new(
                                location.with_field("id"),
                                format!(
                                    "{} is {owner}'s own measure, so its id must begin with {}",
                                    m.id,
                                    MeasureId::own_prefix(&owner)
                                ),
                            ));
                        }
                    }
                    (_, Some(namespace)) => {
                        return Err(RowError::new(
                            location.with_field("id"),
                            format!(
                                "{} lies in {namespace}'s own namespace but has no owner",
                                m.id
                            ),
                        ));
                    }
                    _ => {}
                }
                self.batch_measures.insert(m.id);
                return Ok(Some(Record::Measure(m)));
            }
            Record::Shape {
                municipality,
                svg_path,
            } => {
                self.require_municipality(&location, "kommun_kod", &municipality)?;
                return Ok(Some(Record::Shape {
                    municipality,
                    svg_path,
                }));
            }
            Record::MeasureSet(set) => {
                for (i, m) in set.participants.iter().enumerate() {
                    self.require_municipality(&location, &format!("participants[{i}]"), m)?;
                }
                return Ok(Some(Record::MeasureSet(set)));
            }
            other => return Ok(Some(other)),
        };
        let key = row.key;
        let packed = self.pack(&key).map_err(|(field, message)| {
            RowError::new(location.clone().with_field(field), message)
        })?;
        let print = fingerprint(&row);
        match self.seen.insert(packed, print) {
            Some(previous) if previous != print => {
                self.seen.insert(packed, previous);
                Err(RowError::new(
                    location.with_field("value"),
                    format!(
                        "{} {} {} {} appears again with a different value",
                        key.measure,
                        key.area,
                        key.year,
                        key.gender.code()
                    ),
                ))
            }
            Some(_) => Ok(None),
            None => Ok(Some(Record::Value(row))),
        }
    }

    /// Packs a key into 64 bits: 24 bits measure, 28 bits area (each an index in order of
    /// first sight), 8 bits year offset, 2 bits gender. An id is checked against the
    /// catalogue the first time it is seen.
    fn pack(&mut self, key: &ValueKey) -> Result<u64, (&'static str, String)> {
        let m = match self.measure_index.get(&key.measure) {
            Some(&m) => m,
            None if self.known.measures.contains(&key.measure) => {
                let next = self.measure_index.len() as u64;
                self.measure_index.insert(key.measure, next);
                next
            }
            None => {
                return Err((
                    "kpi",
                    format!(
                        "unknown measure {}; import the KPI catalogue first",
                        key.measure
                    ),
                ));
            }
        };
        let a = match self.area_index.get(&key.area) {
            Some(&a) => a,
            None if self.known.knows_area(&key.area) => {
                let next = self.area_index.len() as u64;
                self.area_index.insert(key.area, next);
                next
            }
            None => {
                return Err((
                    "municipality",
                    format!(
                        "unknown municipality or group {}; import the municipality list first",
                        key.area
                    ),
                ));
            }
        };
        let year = (key.year.get() - Year::MIN) as u64;
        Ok((m << 40) | (a << 10) | (year << 2) | key.gender as u64)
    }

    /// Checks that groups, neighbours and KPI groups refer to known municipalities and
    /// measures; with `skip_bad_rows` the unknown references are dropped.
    fn check_catalogue(
        &self,
        batch: &mut CatalogueBatch,
        places: &HashMap<String, Location>,
    ) -> Vec<RowError> {
        let mut errors = Vec::new();
        let place = |key: String, field: &str| {
            places
                .get(&key)
                .cloned()
                .unwrap_or_default()
                .with_field(field)
        };
        let municipality_known = |m: &MunicipalityId| {
            self.known.municipalities.contains(m) || self.batch_municipalities.contains(m)
        };
        let measure_known =
            |m: &MeasureId| self.known.measures.contains(m) || self.batch_measures.contains(m);
        for group in &mut batch.groups {
            group.members.retain(|m| {
                let ok = municipality_known(m);
                if !ok {
                    errors.push(RowError::new(
                        place(format!("group {}", group.id), "member_id"),
                        format!(
                            "group {} has unknown member {m}; import the municipality list first",
                            group.id
                        ),
                    ));
                }
                ok
            });
        }
        for (municipality, neighbours) in &mut batch.neighbours {
            let at = || place(format!("neighbours {municipality}"), "grannkommuner");
            if !municipality_known(municipality) {
                errors.push(RowError::new(
                    at(),
                    format!("neighbours given for unknown municipality {municipality}"),
                ));
                neighbours.clear();
            }
            neighbours.retain(|n| {
                let ok = municipality_known(n);
                if !ok {
                    errors.push(RowError::new(
                        at(),
                        format!("{municipality} has unknown neighbour {n}"),
                    ));
                }
                ok
            });
        }
        batch.neighbours.retain(|(m, _)| municipality_known(m));
        for group in &mut batch.kpi_groups {
            if let Some(members) = &mut group.members {
                members.retain(|m| {
                    let ok = measure_known(m);
                    if !ok {
                        errors.push(RowError::new(
                            place(format!("kpi group {}", group.id), "kpi_id"),
                            format!(
                                "KPI group {} has unknown KPI {m}; import the KPI catalogue first",
                                group.id
                            ),
                        ));
                    }
                    ok
                });
            }
        }
        errors
    }
}

fn fingerprint(row: &ValueRow) -> u64 {
    let mut h = FastHasher::default();
    match row.datum {
        Datum::Number(v) => {
            h.write_u64(1);
            h.write_u64(v.to_bits());
        }
        Datum::Missing(s) => {
            h.write_u64(2);
            h.write_u64(s as u64);
        }
        Datum::Deleted => h.write_u64(3),
    }
    h.write_u64(row.count.map_or(u64::MAX, u64::from));
    h.finish()
}

/// Reports bytes read to the progress sink every megabyte.
struct CountingReader<'p, R> {
    inner: R,
    progress: &'p dyn Progress,
    pending: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pending += n as u64;
        if self.pending >= 1 << 20 || n == 0 {
            self.progress.advance(self.pending);
            self.pending = 0;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_found_in_file_names() {
        let y = |s: &str| year_in_name(Path::new(s)).map(Year::get);
        assert_eq!(y("kolada_kpi_catalogue_2026.csv"), Some(2026));
        assert_eq!(y("kolada_kpi_catalogue_2024_opennumbers.csv"), Some(2024));
        assert_eq!(y("catalogue.csv"), None);
        assert_eq!(y("x12026.csv"), None);
    }
}
