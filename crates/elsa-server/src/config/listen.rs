//! Listen addresses from `urls` (`ASPNETCORE_URLS`) or `http_ports` (`ASPNETCORE_HTTP_PORTS`),
//! with Kestrel's rules: `urls` wins over ports, `+` and `*` mean every interface, `localhost` is
//! the loopback, any other host name binds every interface too, and a URL without a port uses 80.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::keys::{HTTP_PORTS, HTTPS_PORTS, URLS};
use super::settings::Origin;
use super::sources::{Configuration, Entry, Source};
use super::values::typed;
use super::{ConfigError, Notice};

/// The addresses to bind, in order, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub addrs: Vec<SocketAddr>,
    pub origin: Origin,
}

pub(super) fn resolve(
    config: &Configuration,
    notices: &mut Vec<Notice>,
) -> Result<Listen, ConfigError> {
    if let Some(https) = config.entry(&HTTPS_PORTS) {
        notices.push(Notice::warn(format!(
            "{} (from {}) is ignored: elsa-rs serves plain HTTP and TLS is terminated at the ingress",
            https.key, https.source
        )));
    }
    let Some(urls) = config.entry(&URLS) else {
        // Its default (8080) also applies when a source blanked `http_ports` out.
        let ports = typed(config, &HTTP_PORTS, |entry| parse_list(entry, parse_port))?;
        return Ok(Listen {
            addrs: ports.value,
            origin: ports.origin,
        });
    };
    if let Some(ports) = config
        .entry(&HTTP_PORTS)
        .filter(|p| p.source != Source::Default)
    {
        notices.push(Notice::info(format!(
            "{} (from {}) overrides {} (from {}), as in ASP.NET Core",
            urls.key, urls.source, ports.key, ports.source
        )));
    }
    Ok(Listen {
        addrs: parse_list(urls, parse_url)?,
        origin: Origin::of(urls),
    })
}

/// `;`-separated items, each parsed by `item`; an empty list is an error, duplicates are dropped.
fn parse_list(
    entry: &Entry,
    item: fn(&str) -> Result<SocketAddr, &'static str>,
) -> Result<Vec<SocketAddr>, ConfigError> {
    let mut addrs = Vec::new();
    for text in entry
        .value
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if text.len() >= 8 && text[..8].eq_ignore_ascii_case("https://") {
            return Err(ConfigError::HttpsNotSupported {
                key: entry.key.clone(),
                value: entry.value.clone(),
                from: entry.source.clone(),
            });
        }
        let addr = item(text).map_err(|reason| ConfigError::InvalidListen {
            key: entry.key.clone(),
            value: entry.value.clone(),
            from: entry.source.clone(),
            reason,
        })?;
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        return Err(ConfigError::InvalidListen {
            key: entry.key.clone(),
            value: entry.value.clone(),
            from: entry.source.clone(),
            reason: "it lists no address",
        });
    }
    Ok(addrs)
}

fn any(port: u16) -> SocketAddr {
    SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port)
}

fn parse_port(text: &str) -> Result<SocketAddr, &'static str> {
    text.parse()
        .map(any)
        .map_err(|_| "ports must be whole numbers from 0 to 65535 separated by `;`")
}

fn parse_url(text: &str) -> Result<SocketAddr, &'static str> {
    let rest = text
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &text[7..])
        .ok_or("each URL must start with http://")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !path.is_empty() {
        return Err("a URL cannot carry a path base");
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6
                .split_once(']')
                .ok_or("an IPv6 address needs a closing `]`")?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(port) => port
            .parse()
            .map_err(|_| "the port must be a whole number from 0 to 65535")?,
        None => 80,
    };
    let ip = match host {
        "" => return Err("the URL has no host; use + for every interface"),
        h if h.eq_ignore_ascii_case("localhost") => Ipv4Addr::LOCALHOST.into(),
        h => h.parse::<IpAddr>().unwrap_or(Ipv4Addr::UNSPECIFIED.into()),
    };
    Ok(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NoticeLevel;

    fn listen(pairs: &[(&str, &str, Source)]) -> (Result<Listen, ConfigError>, Vec<Notice>) {
        let mut config = Configuration::default();
        super::super::sources::add_defaults(&mut config);
        for (key, value, source) in pairs {
            config.set(key, value, source.clone());
        }
        let mut notices = Vec::new();
        (resolve(&config, &mut notices), notices)
    }

    fn env(name: &str) -> Source {
        Source::Environment(name.into())
    }

    fn addrs(pairs: &[(&str, &str, Source)]) -> Vec<String> {
        listen(pairs)
            .0
            .unwrap()
            .addrs
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn default_is_port_8080_on_all_interfaces() {
        let (listen, notices) = listen(&[]);
        let listen = listen.unwrap();
        assert_eq!(listen.addrs, [any(8080)]);
        assert_eq!(
            listen.origin.to_string(),
            "http_ports = 8080, from the built-in defaults"
        );
        assert!(notices.is_empty());
    }

    #[test]
    fn urls_forms() {
        let urls = |value| addrs(&[("urls", value, env("ASPNETCORE_URLS"))]);
        assert_eq!(urls("http://127.0.0.1:18080"), ["127.0.0.1:18080"]);
        assert_eq!(
            urls("http://+:8080;http://*:5000"),
            ["0.0.0.0:8080", "0.0.0.0:5000"]
        );
        assert_eq!(urls("HTTP://localhost:9000/"), ["127.0.0.1:9000"]);
        assert_eq!(
            urls("http://[::]:8080; http://[::1]"),
            ["[::]:8080", "[::1]:80"]
        );
        assert_eq!(
            urls("http://elsa.example:8080;http://0.0.0.0:8080"),
            ["0.0.0.0:8080"]
        );
        assert_eq!(urls("http://127.0.0.1:0"), ["127.0.0.1:0"]);
    }

    #[test]
    fn http_ports_and_precedence() {
        let ports = ("http_ports", "8080;8081", env("ASPNETCORE_HTTP_PORTS"));
        assert_eq!(
            addrs(std::slice::from_ref(&ports)),
            ["0.0.0.0:8080", "0.0.0.0:8081"]
        );
        let (listen, notices) = listen(&[ports, ("urls", "http://+:9000", env("ASPNETCORE_URLS"))]);
        assert_eq!(listen.unwrap().addrs, [any(9000)]);
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0].message.contains("overrides http_ports"),
            "{}",
            notices[0].message
        );
    }

    #[test]
    fn https_is_refused_in_urls_and_ignored_in_ports() {
        let (err, _) = listen(&[(
            "urls",
            "http://+:8080;https://+:8443",
            env("ASPNETCORE_URLS"),
        )]);
        let message = err.unwrap_err().to_string();
        assert!(message.starts_with("urls = http://+:8080;https://+:8443 (from environment variable ASPNETCORE_URLS) asks for https"), "{message}");
        assert!(
            message.contains("TLS is terminated at the ingress"),
            "{message}"
        );
        let (listen, notices) = listen(&[("https_ports", "8443", env("ASPNETCORE_HTTPS_PORTS"))]);
        assert_eq!(listen.unwrap().addrs, [any(8080)]);
        assert_eq!(notices[0].level, NoticeLevel::Warn);
    }

    #[test]
    fn bad_addresses_name_the_key() {
        let cases = [
            ("urls", "tcp://x:1", "each URL must start with http://"),
            ("urls", "http://+:80/elsa", "a URL cannot carry a path base"),
            (
                "urls",
                "http://+:http",
                "the port must be a whole number from 0 to 65535",
            ),
            ("urls", "http://:8080", "the URL has no host"),
            ("urls", " ; ", "it lists no address"),
            ("http_ports", "8080;eighty", "ports must be whole numbers"),
            ("http_ports", "70000", "ports must be whole numbers"),
        ];
        for (key, value, reason) in cases {
            let (result, _) = listen(&[(key, value, Source::CommandLine(key.into()))]);
            let message = result.unwrap_err().to_string();
            assert!(message.starts_with(&format!("{key} = {value} (from command line --{key}) is not a valid listen address: {reason}")), "{message}");
        }
    }
}
