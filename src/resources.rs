//! Data files processors read: GeoIP databases, user-agent regexes. Loaded once, shared.

use indexmap::IndexMap;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// MaxMind's test databases, shipped inside pipette (Apache-2.0 / MIT, see data/geoip).
const EMBEDDED_GEOIP: &[(&str, &[u8])] = &[
    (
        "GeoLite2-City.mmdb",
        include_bytes!("../data/geoip/GeoLite2-City-Test.mmdb"),
    ),
    (
        "GeoLite2-Country.mmdb",
        include_bytes!("../data/geoip/GeoLite2-Country-Test.mmdb"),
    ),
    (
        "GeoLite2-ASN.mmdb",
        include_bytes!("../data/geoip/GeoLite2-ASN-Test.mmdb"),
    ),
    (
        "GeoIP2-City.mmdb",
        include_bytes!("../data/geoip/GeoIP2-City-Test.mmdb"),
    ),
];

/// The uap-core `regexes.yml` Elasticsearch ships (its default `regex_file`).
const USER_AGENT_REGEXES: &str = include_str!("../data/user_agent/regexes.yml");
/// Elasticsearch's device-type regexes (`extract_device_type`).
const DEVICE_TYPE_REGEXES: &str = include_str!("../data/user_agent/device_type_regexes.yml");
/// The name Elasticsearch gives its built-in user-agent regex file.
pub const DEFAULT_USER_AGENT_REGEX_FILE: &str = "_default_";

/// A loaded GeoIP database.
pub type GeoIpReader = maxminddb::Reader<Vec<u8>>;

/// Shared, lazily loaded data for processors.
#[derive(Debug, Default)]
pub struct Resources {
    /// Folder of `.mmdb` files to use instead of the shipped test databases.
    pub geoip_dir: Option<PathBuf>,
    geoip: Mutex<HashMap<String, Arc<GeoIpReader>>>,
    geoip_cache: Arc<GeoIpCache>,
}

/// One decoded GeoIP database record and the network it was found in.
#[derive(Debug)]
pub struct GeoIpRecord {
    /// The record; `None` when the database has no entry for the address.
    pub record: Option<serde_json::Value>,
    /// The network (address and prefix length) the record covers.
    pub network: Option<(IpAddr, u8)>,
}

/// Elasticsearch's GeoIpCache: decoded lookups keyed by database and address, at most
/// [`GEOIP_CACHE_SIZE`] entries (the oldest go first).
#[derive(Debug, Default)]
pub struct GeoIpCache {
    entries: Mutex<IndexMap<(String, IpAddr), Arc<GeoIpRecord>>>,
}

/// A borrowed [`GeoIpCache`] key: looks an entry up without allocating the database name.
/// Hashes as the owned `(String, IpAddr)` key does (a tuple hashes its fields in order, a
/// `String` as its `str`).
struct KeyRef<'a>(&'a str, IpAddr);

impl std::hash::Hash for KeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
        self.1.hash(state);
    }
}

impl indexmap::Equivalent<(String, IpAddr)> for KeyRef<'_> {
    fn equivalent(&self, key: &(String, IpAddr)) -> bool {
        self.1 == key.1 && self.0 == key.0
    }
}

/// Elasticsearch's default `ingest.geoip.cache_size`.
pub const GEOIP_CACHE_SIZE: usize = 1000;

impl GeoIpCache {
    /// The cached record for `ip` in `database`, or the one `lookup` produces (then cached).
    pub fn get_or_insert<E>(
        &self,
        database: &str,
        ip: IpAddr,
        lookup: impl FnOnce() -> Result<GeoIpRecord, E>,
    ) -> Result<Arc<GeoIpRecord>, E> {
        if let Some(r) = self.lock().get(&KeyRef(database, ip)) {
            return Ok(r.clone());
        }
        let record = Arc::new(lookup()?);
        let mut entries = self.lock();
        if entries.len() >= GEOIP_CACHE_SIZE {
            entries.shift_remove_index(0);
        }
        entries.insert((database.to_string(), ip), record.clone());
        Ok(record)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IndexMap<(String, IpAddr), Arc<GeoIpRecord>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many lookups are cached.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Resources {
    /// Resources with the shipped defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resources reading GeoIP databases from a folder.
    pub fn with_geoip_dir(dir: Option<PathBuf>) -> Self {
        Resources {
            geoip_dir: dir,
            ..Self::default()
        }
    }

    /// The user-agent regex file and device-type regexes (YAML text) for a `regex_file` name;
    /// only Elasticsearch's built-in file is available offline.
    pub fn user_agent_regexes(&self, regex_file: &str) -> Option<(&'static str, &'static str)> {
        (regex_file == DEFAULT_USER_AGENT_REGEX_FILE)
            .then_some((USER_AGENT_REGEXES, DEVICE_TYPE_REGEXES))
    }

    /// The lookup cache shared by all GeoIP processors using these resources.
    pub fn geoip_cache(&self) -> Arc<GeoIpCache> {
        self.geoip_cache.clone()
    }

    /// The GeoIP database with this file name (`GeoLite2-City.mmdb`, …), loaded once.
    pub fn geoip(&self, name: &str) -> Result<Arc<GeoIpReader>, String> {
        let mut cache = self.geoip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = cache.get(name) {
            return Ok(r.clone());
        }
        // `database_file` names a file inside the database folder, as in Elasticsearch: no paths.
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(format!("database file [{name}] doesn't exist"));
        }
        let bytes: Vec<u8> = match &self.geoip_dir {
            Some(dir) => {
                let path = dir.join(name);
                let alt = dir.join(name.replace(".mmdb", "-Test.mmdb"));
                read_regular(&path)
                    .or_else(|_| read_regular(&alt))
                    .map_err(|e| format!("cannot read GeoIP database [{}]: {e}", path.display()))?
            }
            None => EMBEDDED_GEOIP
                .iter()
                .find(|(n, _)| *n == name || n.replace(".mmdb", "-Test.mmdb") == name)
                .map(|(_, b)| b.to_vec())
                .ok_or_else(|| format!("database file [{name}] doesn't exist"))?,
        };
        let reader = maxminddb::Reader::from_source(bytes)
            .map_err(|e| format!("invalid GeoIP database [{name}]: {e}"))?;
        let reader = Arc::new(reader);
        cache.insert(name.to_string(), reader.clone());
        Ok(reader)
    }
}

/// Reads a regular file (never a FIFO or device, which could block or never end).
fn read_regular(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_cannot_leave_the_folder() {
        let r = Resources::with_geoip_dir(Some(std::env::temp_dir()));
        for bad in ["../etc/passwd", "/dev/zero", "a/b.mmdb", ".hidden.mmdb", ""] {
            assert!(r.geoip(bad).is_err(), "{bad}");
        }
        assert!(Resources::new().geoip("GeoLite2-City.mmdb").is_ok());
    }

    #[test]
    fn geoip_cache_keeps_the_newest_entries() {
        let c = GeoIpCache::default();
        let rec = || {
            Ok::<_, ()>(GeoIpRecord {
                record: None,
                network: None,
            })
        };
        for i in 0..(GEOIP_CACHE_SIZE as u32 + 5) {
            c.get_or_insert("db", IpAddr::from(i.to_be_bytes()), rec)
                .unwrap();
        }
        assert_eq!(c.len(), GEOIP_CACHE_SIZE);
        // A cached entry is returned without running the lookup.
        let last = IpAddr::from((GEOIP_CACHE_SIZE as u32 + 4).to_be_bytes());
        assert!(c.get_or_insert("db", last, || Err(())).is_ok());
        // The oldest entry was evicted; another database is another key.
        assert!(
            c.get_or_insert("db", IpAddr::from(0u32.to_be_bytes()), || Err(()))
                .is_err()
        );
        assert!(c.get_or_insert("other", last, || Err(())).is_err());
        // Entries inserted under owned keys are found by borrowed ones.
        let ip: IpAddr = "81.2.69.142".parse().unwrap();
        let fresh = GeoIpCache::default();
        fresh.get_or_insert("GeoLite2-City.mmdb", ip, rec).unwrap();
        let db = String::from("GeoLite2-City.mmdb");
        assert!(fresh.get_or_insert(&db, ip, || Err(())).is_ok());
        assert_eq!(fresh.len(), 1);
    }
}
