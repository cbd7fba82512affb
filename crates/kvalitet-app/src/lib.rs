//! The use cases of kvalitet (import files, export values, describe what is loaded) and the
//! [`Store`] port they need. The web and CLI call these; the store crate implements the port.

pub mod accounts;
pub mod assessments;
pub mod award;
pub mod budget;
pub mod dialogues;
pub mod export;
pub mod goals;
pub mod import;
pub mod jobs;
pub mod kolada_v3;
pub mod mail;
pub mod own;
pub mod panels;
pub mod participation;
pub mod ports;
pub mod proposals;
pub mod publish;
pub mod refusal;
pub mod report;
pub mod screening;
pub mod service;
pub mod stats;
pub mod surveys;
pub mod sync;
pub mod todo;

pub use ports::{
    CatalogueBatch, ImportChunk, ImportSource, KnownIds, Overview, Store, StoreError, StoredValue,
    ValueFilter, ValueRevision, WriteCounts,
};
