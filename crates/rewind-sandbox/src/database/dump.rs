//! A backup's dump as the sandbox keeps it: bytes (a simulated text dump or
//! a `pg_dump --format=custom` archive). In the state file a dump that is
//! text stays readable text, and one that is not is written as
//! `{"base64": "..."}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump(Vec<u8>);

impl Dump {
    pub fn new(bytes: Vec<u8>) -> Dump {
        Dump(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Saved {
    Text(String),
    Binary { base64: String },
}

impl Serialize for Dump {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => Saved::Text(text.to_string()),
            Err(_) => Saved::Binary {
                base64: STANDARD.encode(&self.0),
            },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Dump {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Dump, D::Error> {
        match Saved::deserialize(deserializer)? {
            Saved::Text(text) => Ok(Dump(text.into_bytes())),
            Saved::Binary { base64 } => STANDARD
                .decode(base64)
                .map(Dump)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dump;

    #[test]
    fn text_and_binary_dumps_survive_a_save() {
        for bytes in [
            b"-- rows: 1\n".to_vec(),
            vec![b'P', b'G', b'D', b'M', 0xff, 0],
        ] {
            let dump = Dump::new(bytes);
            let saved = serde_json::to_string(&dump).unwrap();
            assert_eq!(serde_json::from_str::<Dump>(&saved).unwrap(), dump);
        }
        let text = serde_json::to_string(&Dump::new(b"abc".to_vec())).unwrap();
        assert_eq!(text, "\"abc\"");
    }
}
