//! The catalogue port: counties, municipalities, groups, neighbours, measures with their
//! per-year texts, KPI groups, measure sets, shapes and the overview; and the catalogue part
//! of an import (`apply`), written inside the import's transaction.

use std::collections::{HashMap, HashSet};

use kvalitet_app::ports::{
    Catalogue, CatalogueBatch, Contents, ImportRecord, KpiGroupRecord, MeasureText, Overview,
    StoreError, WriteCounts,
};
use kvalitet_domain::{
    County, Direction, GroupId, GroupKind, Measure, MeasureId, MeasureProfile, MeasureSet,
    MeasureSetArea, MeasureSetItem, Municipality, MunicipalityGroup, MunicipalityId,
    MunicipalityKind, Year,
};

use crate::read::{MEASURE_COLUMNS, MeasureRow, measure_from_row, members_by_group};
use crate::{SqlStore, Tx, exec, fetch_all, invalid, moment};

/// Applies a catalogue batch inside the import's transaction.
pub(crate) async fn apply(tx: &mut Tx, batch: &CatalogueBatch) -> Result<WriteCounts, StoreError> {
    let mut counts = WriteCounts::default();
    let tally = |counts: &mut WriteCounts, existed: bool, changed: bool| match (existed, changed) {
        (false, _) => counts.inserted += 1,
        (true, true) => counts.updated += 1,
        (true, false) => counts.unchanged += 1,
    };

    if !batch.counties.is_empty() {
        let existing = ids(tx, "SELECT code FROM county").await?;
        for (county, region) in &batch.counties {
            let changed = exec!(tx,
                "INSERT INTO county (code, name, region_id) VALUES ($1, $2, $3)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, region_id = excluded.region_id
                 WHERE county.name IS DISTINCT FROM excluded.name OR county.region_id IS DISTINCT FROM excluded.region_id",
                &county.code, &county.name, region.map(|r| r.to_string()))?;
            tally(&mut counts, existing.contains(&county.code), changed > 0);
        }
    }

    if !batch.municipalities.is_empty() {
        let existing = ids(tx, "SELECT id FROM municipality").await?;
        for m in &batch.municipalities {
            let changed = exec!(tx,
                "INSERT INTO municipality (id, title, kind, county_code) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, kind = excluded.kind, county_code = excluded.county_code
                 WHERE municipality.title IS DISTINCT FROM excluded.title OR municipality.kind IS DISTINCT FROM excluded.kind
                    OR municipality.county_code IS DISTINCT FROM excluded.county_code",
                m.id.as_str(), &m.title, m.kind.code(), m.county_code.clone())?;
            tally(&mut counts, existing.contains(m.id.as_str()), changed > 0);
        }
    }

    if !batch.groups.is_empty() {
        let existing = ids(tx, "SELECT id FROM municipality_group").await?;
        let members = memberships(
            tx,
            "SELECT group_id, municipality_id FROM municipality_group_member",
        )
        .await?;
        for g in &batch.groups {
            let row_changed = exec!(tx,
                "INSERT INTO municipality_group (id, title, kind) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, kind = excluded.kind
                 WHERE municipality_group.title IS DISTINCT FROM excluded.title OR municipality_group.kind IS DISTINCT FROM excluded.kind",
                g.id.as_str(), &g.title, g.kind.code())? > 0;
            let new: HashSet<String> = g.members.iter().map(|m| m.to_string()).collect();
            let members_changed = members.get(g.id.as_str()).cloned().unwrap_or_default() != new;
            if members_changed {
                exec!(
                    tx,
                    "DELETE FROM municipality_group_member WHERE group_id = $1",
                    g.id.as_str()
                )?;
                for m in &new {
                    exec!(
                        tx,
                        "INSERT INTO municipality_group_member (group_id, municipality_id) VALUES ($1, $2)",
                        g.id.as_str(),
                        m.as_str()
                    )?;
                }
            }
            tally(
                &mut counts,
                existing.contains(g.id.as_str()),
                row_changed || members_changed,
            );
        }
    }

    if !batch.neighbours.is_empty() {
        let existing = memberships(
            tx,
            "SELECT municipality_id, neighbour_id FROM municipality_neighbour",
        )
        .await?;
        for (m, neighbours) in &batch.neighbours {
            let new: HashSet<String> = neighbours.iter().map(|n| n.to_string()).collect();
            let old = existing.get(m.as_str());
            let changed = old.is_some_and(|o| *o != new) || (old.is_none() && !new.is_empty());
            if changed {
                exec!(
                    tx,
                    "DELETE FROM municipality_neighbour WHERE municipality_id = $1",
                    m.as_str()
                )?;
                for n in &new {
                    exec!(
                        tx,
                        "INSERT INTO municipality_neighbour (municipality_id, neighbour_id) VALUES ($1, $2)",
                        m.as_str(),
                        n.as_str()
                    )?;
                }
            }
            // An island with no neighbours and no row yet is already as described.
            tally(&mut counts, old.is_some() || new.is_empty(), changed);
        }
    }

    if !batch.measures.is_empty() {
        let year = batch
            .catalogue_year
            .ok_or_else(|| StoreError::Invalid("a KPI catalogue needs a catalogue year".into()))?;
        let existing = ids(tx, "SELECT id FROM measure").await?;
        // Only measures that are not Kolada's are listed: the rest are Kolada's.
        let held: HashMap<String, (String, Option<String>)> =
            fetch_all!(tx tx, (String, String, Option<String>),
            "SELECT id, origin, owner_municipality FROM measure WHERE origin <> 'kolada'")?
            .into_iter()
            .map(|(id, origin, owner)| (id, (origin, owner)))
            .collect();
        for m in &batch.measures {
            // A measure keeps its origin and owner: nothing written here (a catalogue, a
            // published round's results) may turn a municipality's own measure into another's
            // or a national one, or Kolada's into published results.
            let incoming = (
                m.origin.code().to_owned(),
                m.origin.owner().map(|o| o.to_string()),
            );
            let kolada = ("kolada".to_owned(), None);
            let was = held.get(m.id.as_str()).unwrap_or(&kolada);
            if existing.contains(m.id.as_str()) && *was != incoming {
                let describe = |(origin, owner): &(String, Option<String>)| match owner {
                    Some(o) => format!("municipality {o}'s own"),
                    None => format!("{origin} (no municipality's)"),
                };
                return Err(StoreError::Invalid(
                    format!(
                        "measure {} is held as {}; it cannot be written as {}",
                        m.id,
                        describe(was),
                        describe(&incoming)
                    )
                    .into(),
                ));
            }
            let changed = upsert_measure(tx, m, i64::from(year.get())).await?;
            tally(&mut counts, existing.contains(m.id.as_str()), changed);
        }
    }

    if !batch.kpi_groups.is_empty() {
        let existing = ids(tx, "SELECT id FROM kpi_group").await?;
        let members = memberships(tx, "SELECT group_id, measure_id FROM kpi_group_member").await?;
        for g in &batch.kpi_groups {
            let mut changed = match &g.title {
                Some(title) => exec!(tx,
                    "INSERT INTO kpi_group (id, title, parent_id) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO UPDATE SET title = excluded.title, parent_id = COALESCE(excluded.parent_id, kpi_group.parent_id)
                     WHERE kpi_group.title IS DISTINCT FROM excluded.title
                        OR (excluded.parent_id IS NOT NULL AND kpi_group.parent_id IS DISTINCT FROM excluded.parent_id)",
                    &g.id, title, g.parent.clone())? > 0,
                // A membership file may name a group no title file has described yet.
                None => exec!(tx,
                    "INSERT INTO kpi_group (id, title) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING", &g.id)? > 0,
            };
            if let Some(list) = &g.members {
                let new: HashSet<String> = list.iter().map(|m| m.to_string()).collect();
                if members.get(&g.id).cloned().unwrap_or_default() != new {
                    changed = true;
                    exec!(
                        tx,
                        "DELETE FROM kpi_group_member WHERE group_id = $1",
                        &g.id
                    )?;
                    let mut seen = HashSet::new();
                    for (position, m) in list.iter().enumerate() {
                        if seen.insert(*m) {
                            exec!(
                                tx,
                                "INSERT INTO kpi_group_member (group_id, measure_id, position) VALUES ($1, $2, $3)",
                                &g.id,
                                m.as_str(),
                                position as i64
                            )?;
                        }
                    }
                }
            }
            tally(&mut counts, existing.contains(&g.id), changed);
        }
    }

    for set in &batch.measure_sets {
        // A set is small and replaced whole; re-importing it counts as an update.
        let existed = write_measure_set(tx, set).await?;
        tally(&mut counts, existed, true);
    }

    for (f, source) in &batch.frameworks {
        let existed = !fetch_all!(tx tx, (String,), "SELECT id FROM framework WHERE id = $1 AND version = $2", &f.id, &f.version)?.is_empty();
        let changed = exec!(tx,
            "INSERT INTO framework (id, version, name, valid_from, source) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id, version) DO UPDATE SET name = excluded.name, valid_from = excluded.valid_from, source = excluded.source
             WHERE framework.source IS DISTINCT FROM excluded.source",
            &f.id, &f.version, &f.name, &f.valid_from, source)? > 0;
        tally(&mut counts, existed, changed);
    }

    if !batch.shapes.is_empty() {
        let existing = ids(tx, "SELECT area_id FROM area_shape").await?;
        for (m, path) in &batch.shapes {
            let changed = exec!(
                tx,
                "INSERT INTO area_shape (area_id, svg_path) VALUES ($1, $2)
                 ON CONFLICT (area_id) DO UPDATE SET svg_path = excluded.svg_path
                 WHERE area_shape.svg_path IS DISTINCT FROM excluded.svg_path",
                m.as_str(),
                path
            )? > 0;
            tally(&mut counts, existing.contains(m.as_str()), changed);
        }
    }
    Ok(counts)
}

/// Writes a measure and its text for `year`. The main row follows the newest catalogue;
/// direction, unit and source kind are set on first sight only, since users curate them.
async fn upsert_measure(tx: &mut Tx, m: &Measure, year: i64) -> Result<bool, StoreError> {
    let owner = m.origin.owner().map(|o| o.to_string());
    let k = &m.kolada;
    let row = exec!(tx,
        "INSERT INTO measure (id, title, description, unit, direction, source_kind, owner_municipality,
             operating_area, perspective, is_divided_by_gender, municipality_type, auspice, publ_period,
             prel_publication_date, publication_date, has_ou_data, catalogue_year, origin)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
             operating_area = excluded.operating_area, perspective = excluded.perspective,
             is_divided_by_gender = excluded.is_divided_by_gender, municipality_type = excluded.municipality_type,
             auspice = excluded.auspice, publ_period = excluded.publ_period,
             prel_publication_date = excluded.prel_publication_date, publication_date = excluded.publication_date,
             has_ou_data = excluded.has_ou_data, catalogue_year = excluded.catalogue_year
         WHERE (measure.catalogue_year IS NULL OR measure.catalogue_year <= excluded.catalogue_year)
           AND (measure.title IS DISTINCT FROM excluded.title OR measure.description IS DISTINCT FROM excluded.description
             OR measure.operating_area IS DISTINCT FROM excluded.operating_area OR measure.perspective IS DISTINCT FROM excluded.perspective
             OR measure.is_divided_by_gender IS DISTINCT FROM excluded.is_divided_by_gender
             OR measure.municipality_type IS DISTINCT FROM excluded.municipality_type
             OR measure.auspice IS DISTINCT FROM excluded.auspice OR measure.publ_period IS DISTINCT FROM excluded.publ_period
             OR measure.prel_publication_date IS DISTINCT FROM excluded.prel_publication_date
             OR measure.publication_date IS DISTINCT FROM excluded.publication_date
             OR measure.has_ou_data IS DISTINCT FROM excluded.has_ou_data
             OR measure.catalogue_year IS DISTINCT FROM excluded.catalogue_year)",
        m.id.as_str(), &m.title, &m.description, m.unit.clone(), m.direction.code(), m.source_kind.code(), owner,
        k.operating_area.clone(), k.perspective.clone(), k.is_divided_by_gender, k.municipality_type.clone(),
        k.auspice.clone(), k.publ_period.clone(), k.prel_publication_date.clone(), k.publication_date.clone(),
        k.has_ou_data, year, m.origin.code())?;
    let text = exec!(tx,
        "INSERT INTO measure_text (measure_id, year, title, description) VALUES ($1, $2, $3, $4)
         ON CONFLICT (measure_id, year) DO UPDATE SET title = excluded.title, description = excluded.description
         WHERE measure_text.title IS DISTINCT FROM excluded.title OR measure_text.description IS DISTINCT FROM excluded.description",
        m.id.as_str(), year, &m.title, &m.description)?;
    Ok(row + text > 0)
}

async fn ids(tx: &mut Tx, sql: &'static str) -> Result<HashSet<String>, StoreError> {
    let rows = fetch_all!(tx tx, (String,), sql)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

async fn memberships(
    tx: &mut Tx,
    sql: &'static str,
) -> Result<HashMap<String, HashSet<String>>, StoreError> {
    let rows = fetch_all!(tx tx, (String, String), sql)?;
    let mut map: HashMap<String, HashSet<String>> = HashMap::new();
    for (group, member) in rows {
        map.entry(group).or_default().insert(member);
    }
    Ok(map)
}

/// Replaces a measure set and writes the profiles it carries (the latest set wins).
async fn write_measure_set(tx: &mut Tx, set: &MeasureSet) -> Result<bool, StoreError> {
    set.validate().map_err(|e| StoreError::Invalid(e.into()))?;
    let existed = exec!(tx, "DELETE FROM measure_set WHERE id = $1", &set.id)? > 0;
    exec!(
        tx,
        "INSERT INTO measure_set (id, title, title_en, description, description_en) VALUES ($1, $2, $3, $4, $5)",
        &set.id,
        &set.title,
        set.title_en.clone(),
        &set.description,
        set.description_en.clone()
    )?;
    for m in &set.participants {
        exec!(
            tx,
            "INSERT INTO measure_set_participant (set_id, municipality_id) VALUES ($1, $2)",
            &set.id,
            m.as_str()
        )?;
    }
    for (a, area) in set.areas.iter().enumerate() {
        exec!(
            tx,
            "INSERT INTO measure_set_area (set_id, position, title, title_en) VALUES ($1, $2, $3, $4)",
            &set.id,
            a as i64,
            &area.title,
            area.title_en.clone()
        )?;
        for (i, item) in area.items.iter().enumerate() {
            exec!(tx,
                "INSERT INTO measure_set_item (set_id, area_position, position, measure_id, question, question_en) VALUES ($1, $2, $3, $4, $5, $6)",
                &set.id, a as i64, i as i64, item.measure.as_str(), &item.question, item.question_en.clone())
            .map_err(|e| StoreError::Invalid(format!("measure {} in set {}: {e}", item.measure, set.id).into()))?;
            if let Some(p) = &item.profile {
                exec!(tx,
                    "INSERT INTO measure_profile (measure_id, direction, decimals, unit, unit_en, question, question_en)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (measure_id) DO UPDATE SET direction = excluded.direction, decimals = excluded.decimals,
                        unit = excluded.unit, unit_en = excluded.unit_en, question = excluded.question, question_en = excluded.question_en",
                    p.measure.as_str(), p.direction.code(), i64::from(p.decimals), p.unit.clone(), p.unit_en.clone(),
                    &p.question, p.question_en.clone())?;
            }
        }
    }
    Ok(existed)
}

impl Catalogue for SqlStore {
    async fn municipalities(&self) -> Result<Vec<Municipality>, StoreError> {
        let rows = fetch_all!(public self, (String, String, String, Option<String>),
        "SELECT id, title, kind, county_code FROM municipality ORDER BY id")?;
        rows.into_iter()
            .map(|(id, title, kind, county_code)| {
                Ok(Municipality {
                    id: MunicipalityId::parse(&id).map_err(invalid)?,
                    title,
                    kind: MunicipalityKind::parse(&kind).ok_or_else(|| invalid(&kind))?,
                    county_code,
                })
            })
            .collect()
    }

    async fn counties(&self) -> Result<Vec<County>, StoreError> {
        let rows = fetch_all!(public self, (String, String), "SELECT code, name FROM county ORDER BY code")?;
        Ok(rows
            .into_iter()
            .map(|(code, name)| County { code, name })
            .collect())
    }

    async fn neighbours(&self) -> Result<HashMap<MunicipalityId, Vec<MunicipalityId>>, StoreError> {
        let rows = fetch_all!(public self, (String, String),
        "SELECT municipality_id, neighbour_id FROM municipality_neighbour ORDER BY municipality_id, neighbour_id")?;
        let mut map: HashMap<MunicipalityId, Vec<MunicipalityId>> = HashMap::new();
        for (m, n) in rows {
            map.entry(MunicipalityId::parse(&m).map_err(invalid)?)
                .or_default()
                .push(MunicipalityId::parse(&n).map_err(invalid)?);
        }
        Ok(map)
    }

    async fn groups(&self) -> Result<Vec<MunicipalityGroup>, StoreError> {
        let rows = fetch_all!(public self, (String, String, String), "SELECT id, title, kind FROM municipality_group ORDER BY id")?;
        let members = fetch_all!(public self, (String, String),
        "SELECT group_id, municipality_id FROM municipality_group_member ORDER BY group_id, municipality_id")?;
        let mut by_group = members_by_group(members, MunicipalityId::parse)?;
        rows.into_iter()
            .map(|(id, title, kind)| {
                Ok(MunicipalityGroup {
                    id: GroupId::parse(&id).map_err(invalid)?,
                    title,
                    kind: GroupKind::parse(&kind).ok_or_else(|| invalid(&kind))?,
                    members: by_group.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn measure(&self, id: &MeasureId) -> Result<Option<Measure>, StoreError> {
        let sql = format!("{MEASURE_COLUMNS} WHERE id = $1");
        let rows =
            fetch_all!(public self, MeasureRow, sqlx::AssertSqlSafe(sql.as_str()), id.as_str())?;
        rows.into_iter().next().map(measure_from_row).transpose()
    }

    async fn measures(&self) -> Result<Vec<Measure>, StoreError> {
        let sql = format!("{MEASURE_COLUMNS} ORDER BY id");
        let rows = fetch_all!(public self, MeasureRow, sqlx::AssertSqlSafe(sql.as_str()))?;
        // SQLite and PostgreSQL may collate ids differently; Kolada orders them bytewise.
        let mut measures = rows
            .into_iter()
            .map(measure_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        measures.sort_by_key(|m| m.id);
        Ok(measures)
    }

    async fn measure_text(
        &self,
        id: &MeasureId,
        year: Year,
    ) -> Result<Option<MeasureText>, StoreError> {
        let rows = fetch_all!(public self, (i64, String, String),
        "SELECT year, title, description FROM measure_text WHERE measure_id = $1
         ORDER BY CASE WHEN year <= $2 THEN 0 ELSE 1 END, CASE WHEN year <= $2 THEN -year ELSE year END
         LIMIT 1", id.as_str(), i64::from(year.get()))?;
        Ok(rows
            .into_iter()
            .next()
            .map(|(year, title, description)| MeasureText {
                year: year as i16,
                title,
                description,
            }))
    }

    async fn measure_count(&self, catalogue_year: Option<Year>) -> Result<u64, StoreError> {
        let rows = match catalogue_year {
            Some(y) => {
                fetch_all!(public self, (i64,), "SELECT count(*) FROM measure_text WHERE year = $1", i64::from(y.get()))?
            }
            None => fetch_all!(public self, (i64,), "SELECT count(*) FROM measure")?,
        };
        Ok(rows.first().map_or(0, |r| r.0 as u64))
    }

    async fn kpi_groups(&self) -> Result<Vec<KpiGroupRecord>, StoreError> {
        let groups = fetch_all!(public self, (String, String, Option<String>), "SELECT id, title, parent_id FROM kpi_group ORDER BY id")?;
        let members = fetch_all!(public self, (String, String),
        "SELECT group_id, measure_id FROM kpi_group_member ORDER BY group_id, position")?;
        let mut by_group = members_by_group(members, MeasureId::parse)?;
        Ok(groups
            .into_iter()
            .map(|(id, title, parent)| KpiGroupRecord {
                members: Some(by_group.remove(&id).unwrap_or_default()),
                id,
                title: Some(title),
                parent,
            })
            .collect())
    }

    /// Creates or replaces a measure set in one transaction.
    async fn save_measure_set(&self, set: &MeasureSet) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        write_measure_set(&mut tx, set).await?;
        // A set decides what residents see on the municipality pages.
        crate::version::bump_version(&mut tx, crate::version::Moved::Values).await?;
        tx.commit().await
    }

    async fn measure_set(&self, id: &str) -> Result<Option<MeasureSet>, StoreError> {
        Ok(load_sets(self, Some(id)).await?.into_iter().next())
    }

    async fn measure_sets(&self) -> Result<Vec<MeasureSet>, StoreError> {
        load_sets(self, None).await
    }

    async fn measure_profiles(&self) -> Result<Vec<MeasureProfile>, StoreError> {
        let rows = fetch_all!(public self, (String, String, i64, Option<String>, Option<String>, String, Option<String>),
        "SELECT measure_id, direction, decimals, unit, unit_en, question, question_en FROM measure_profile ORDER BY measure_id")?;
        rows.into_iter()
            .map(
                |(id, direction, decimals, unit, unit_en, question, question_en)| {
                    Ok(MeasureProfile {
                        measure: MeasureId::parse(&id).map_err(invalid)?,
                        direction: Direction::parse(&direction)
                            .ok_or_else(|| invalid(&direction))?,
                        decimals: u8::try_from(decimals).map_err(invalid)?,
                        unit,
                        unit_en,
                        question,
                        question_en,
                    })
                },
            )
            .collect()
    }

    async fn shapes(&self) -> Result<Vec<(MunicipalityId, String)>, StoreError> {
        let rows = fetch_all!(public self, (String, String), "SELECT area_id, svg_path FROM area_shape ORDER BY area_id")?;
        rows.into_iter()
            .map(|(id, path)| Ok((MunicipalityId::parse(&id).map_err(invalid)?, path)))
            .collect()
    }

    async fn contents(&self) -> Result<Contents, StoreError> {
        // LIMIT 1 inside: neither backend counts further than the first row.
        let rows = fetch_all!(public self, (i64, i64),
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM municipality WHERE kind = 'kommun' LIMIT 1) AS m),
                    (SELECT count(*) FROM (SELECT 1 FROM value LIMIT 1) AS v)")?;
        let (m, v) = rows.first().copied().unwrap_or((0, 0));
        Ok(Contents {
            municipalities: m > 0,
            values: v > 0,
        })
    }

    async fn overview(&self) -> Result<Overview, StoreError> {
        let kinds = fetch_all!(public self, (String, i64), "SELECT kind, count(*) FROM municipality GROUP BY kind")?;
        let count = |sql: &'static str| async move {
            fetch_all!(public self, (i64,), sql).map(|r| r.first().map_or(0, |c| c.0 as u64))
        };
        let years = fetch_all!(public self, (Option<i64>, Option<i64>), "SELECT min(year), max(year) FROM value")?;
        let imports = fetch_all!(public self, (String, String, String, i64, i64, i64, i64),
        "SELECT source, format, imported_at, inserted, updated, unchanged, deleted FROM import_batch ORDER BY id DESC LIMIT 10")?;
        let of_kind = |k: &str| {
            kinds
                .iter()
                .find(|(kind, _)| kind == k)
                .map_or(0, |(_, n)| *n as u64)
        };
        Ok(Overview {
            kommuner: of_kind("kommun"),
            regions: of_kind("region"),
            riket: of_kind("riket"),
            groups: count("SELECT count(*) FROM municipality_group").await?,
            measures: count("SELECT count(*) FROM measure").await?,
            values: count("SELECT count(*) FROM value").await?,
            first_year: years.first().and_then(|y| y.0).map(|y| y as i16),
            last_year: years.first().and_then(|y| y.1).map(|y| y as i16),
            recent_imports: imports
                .into_iter()
                .map(|(source, format, imported_at, i, u, n, d)| {
                    Ok(ImportRecord {
                        source,
                        format,
                        imported_at: moment(&imported_at)?,
                        inserted: i as u64,
                        updated: u as u64,
                        unchanged: n as u64,
                        deleted: d as u64,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
        })
    }
}

/// Measure sets, all of them or the one with id `only`, with their areas, items, the items'
/// profiles and participants: five reads however many sets there are.
async fn load_sets(store: &SqlStore, only: Option<&str>) -> Result<Vec<MeasureSet>, StoreError> {
    let filter = only.unwrap_or("");
    let all = only.is_none();
    let sets = fetch_all!(public store, (String, String, Option<String>, String, Option<String>),
        "SELECT id, title, title_en, description, description_en FROM measure_set
         WHERE $1 OR id = $2 ORDER BY id", all, filter)?;
    if sets.is_empty() {
        return Ok(Vec::new());
    }
    let areas = fetch_all!(public store, (String, i64, String, Option<String>),
        "SELECT set_id, position, title, title_en FROM measure_set_area
         WHERE $1 OR set_id = $2 ORDER BY set_id, position", all, filter)?;
    let items = fetch_all!(public store, (String, i64, String, String, Option<String>),
        "SELECT set_id, area_position, measure_id, question, question_en FROM measure_set_item
         WHERE $1 OR set_id = $2 ORDER BY set_id, area_position, position", all, filter)?;
    let participants = fetch_all!(public store, (String, String),
        "SELECT set_id, municipality_id FROM measure_set_participant
         WHERE $1 OR set_id = $2 ORDER BY set_id, municipality_id", all, filter)?;
    let profiles: HashMap<MeasureId, MeasureProfile> = store
        .measure_profiles()
        .await?
        .into_iter()
        .map(|p| (p.measure, p))
        .collect();
    let mut out: Vec<MeasureSet> = sets
        .into_iter()
        .map(
            |(id, title, title_en, description, description_en)| MeasureSet {
                id,
                title,
                title_en,
                description,
                description_en,
                participants: Vec::new(),
                areas: Vec::new(),
            },
        )
        .collect();
    let index: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i))
        .collect();
    let slot = |set: &str| {
        index
            .get(set)
            .copied()
            .ok_or_else(|| invalid(format!("a part of the missing measure set {set}")))
    };
    // Areas by (set, position), to place the items.
    let mut area_index: HashMap<(String, i64), usize> = HashMap::new();
    for (set, position, title, title_en) in areas {
        let s = slot(&set)?;
        area_index.insert((set, position), out[s].areas.len());
        out[s].areas.push(MeasureSetArea {
            title,
            title_en,
            items: Vec::new(),
        });
    }
    for (set, area, measure, question, question_en) in items {
        let s = slot(&set)?;
        let a = *area_index
            .get(&(set, area))
            .ok_or_else(|| invalid(format!("item in missing area {area}")))?;
        let measure = MeasureId::parse(&measure).map_err(invalid)?;
        out[s].areas[a].items.push(MeasureSetItem {
            measure,
            question,
            question_en,
            profile: profiles.get(&measure).cloned(),
        });
    }
    for (set, m) in participants {
        let s = slot(&set)?;
        out[s]
            .participants
            .push(MunicipalityId::parse(&m).map_err(invalid)?);
    }
    Ok(out)
}
