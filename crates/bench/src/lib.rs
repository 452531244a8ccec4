//! Helpers for the benchmark (`bench/run.sh`): the `seed` binary fills a service's database
//! directly, through the service's own insert functions so that every value is sealed exactly as
//! the service seals it, and `mint-token` mints an internal token the way the gateway does, so
//! that a service can be measured without the gateway in front of it.
//!
//! Both binaries take `--name value` options; this module parses them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{anyhow, bail, Context};

/// Command-line words: positional ones and `--name value` options (each at most once).
#[derive(Debug, Default)]
pub struct Args {
    positional: Vec<String>,
    options: BTreeMap<String, String>,
}

impl Args {
    /// Parses `words` (without the program name). `--help` / `-h` is reported as
    /// [`Args::wants_help`].
    pub fn parse(words: impl IntoIterator<Item = String>) -> anyhow::Result<Self> {
        let mut args = Args::default();
        let mut words = words.into_iter();
        while let Some(word) = words.next() {
            if word == "-h" || word == "--help" {
                args.options.insert("help".to_owned(), String::new());
            } else if let Some(name) = word.strip_prefix("--") {
                let (name, value) = match name.split_once('=') {
                    Some((name, value)) => (name.to_owned(), value.to_owned()),
                    None => (
                        name.to_owned(),
                        words
                            .next()
                            .ok_or_else(|| anyhow!("--{name} needs a value"))?,
                    ),
                };
                if args.options.insert(name.clone(), value).is_some() {
                    bail!("--{name} given twice");
                }
            } else {
                args.positional.push(word);
            }
        }
        Ok(args)
    }

    pub fn wants_help(&self) -> bool {
        self.options.contains_key("help")
    }

    pub fn positional(&self) -> &[String] {
        &self.positional
    }

    /// The option's text, if given.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    /// The option's value, if given; an unparsable one is an error naming it.
    pub fn get<T>(&self, name: &str) -> anyhow::Result<Option<T>>
    where
        T: FromStr,
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        self.text(name)
            .map(|text| {
                text.parse::<T>()
                    .with_context(|| format!("--{name}: cannot parse {text:?}"))
            })
            .transpose()
    }

    /// The option's value; missing is an error naming it.
    pub fn required<T>(&self, name: &str) -> anyhow::Result<T>
    where
        T: FromStr,
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        self.get(name)?
            .ok_or_else(|| anyhow!("--{name} is required (see --help)"))
    }

    /// A path option, or `default` under `--data-dir` when it is not given.
    pub fn path_in_data_dir(&self, name: &str, default: &str) -> anyhow::Result<PathBuf> {
        if let Some(path) = self.text(name) {
            return Ok(PathBuf::from(path));
        }
        let data_dir = self
            .text("data-dir")
            .ok_or_else(|| anyhow!("give --{name} or --data-dir (see --help)"))?;
        Ok(PathBuf::from(data_dir).join(default))
    }

    /// Fails on any option not in `known`, so a typo is not silently ignored.
    pub fn only(&self, known: &[&str]) -> anyhow::Result<()> {
        match self
            .options
            .keys()
            .find(|name| *name != "help" && !known.contains(&name.as_str()))
        {
            Some(name) => bail!("unknown option --{name} (see --help)"),
            None => Ok(()),
        }
    }
}

/// A comma-separated list of numbers (`11,1,2`); empty text is an empty list.
pub fn parse_list<T>(text: &str) -> anyhow::Result<Vec<T>>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<T>()
                .with_context(|| format!("cannot parse {item:?} in {text:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_and_positionals() {
        let args = Args::parse(words("profiles --count 10 --prefix=p --data-dir /d")).unwrap();
        assert_eq!(args.positional(), ["profiles"]);
        assert_eq!(args.required::<u64>("count").unwrap(), 10);
        assert_eq!(args.text("prefix"), Some("p"));
        assert_eq!(
            args.path_in_data_dir("database-url", "x.db").unwrap(),
            PathBuf::from("/d/x.db")
        );
        assert!(args.get::<u64>("prefix").is_err());
        assert!(args.required::<u64>("missing").is_err());
        assert!(args.only(&["count", "prefix", "data-dir"]).is_ok());
        assert!(args.only(&["count"]).is_err());
    }

    #[test]
    fn bad_command_lines() {
        assert!(Args::parse(words("--count")).is_err());
        assert!(Args::parse(words("--count 1 --count 2")).is_err());
        assert!(Args::parse(words("-h")).unwrap().wants_help());
    }

    #[test]
    fn lists() {
        assert_eq!(parse_list::<u32>("11, 1,2").unwrap(), vec![11, 1, 2]);
        assert_eq!(parse_list::<u32>("").unwrap(), Vec::<u32>::new());
        assert!(parse_list::<u32>("1,x").is_err());
    }
}
