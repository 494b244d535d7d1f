//! Locales as Elasticsearch's `LocaleUtils.parse` reads them (the date processor's `locale`):
//! `language`, `language_COUNTRY` or `language_COUNTRY_variant`, with `-` or `_` (whichever comes
//! first) as the separator, checked against Java's ISO 639 / ISO 3166 tables (`LocaleISOData`).

use super::Failure;

/// A parsed locale (Java `Locale`): the language lower-cased, the country upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Locale {
    /// ISO 639 language, lower case (empty for `Locale.ROOT`).
    pub language: String,
    /// ISO 3166 country, upper case (may be empty).
    pub country: String,
    /// The variant, as given.
    pub variant: String,
}

/// The two-letter ISO 639 codes Java's `Locale.getISO3Language` knows (`LocaleISOData`), sorted.
const LANGUAGES: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "in", "io", "is", "it", "iu", "iw", "ja", "ji", "jv", "ka",
    "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb",
    "lg", "li", "ln", "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mo", "mr", "ms",
    "mt", "my", "na", "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om",
    "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd",
    "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta",
    "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur",
    "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// The two-letter ISO 3166 codes Java's `Locale.getISO3Country` knows (`LocaleISOData`), sorted.
const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// The grandfathered tags `LanguageTag` accepts whole, whatever their shape.
const LEGACY_TAGS: &[&str] = &[
    "art-lojban",
    "cel-gaulish",
    "en-GB-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "no-bok",
    "no-nyn",
    "sgn-BE-FR",
    "sgn-BE-NL",
    "sgn-CH-DE",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

/// Java string length (UTF-16 units), which `getISO3Code` compares with 2 and 3.
fn java_len(s: &str) -> usize {
    s.encode_utf16().count()
}

impl Locale {
    /// `Locale.ROOT`: no language, no country (the date processor's default).
    pub const ROOT: Locale = Locale {
        language: String::new(),
        country: String::new(),
        variant: String::new(),
    };

    /// Elasticsearch's `LocaleUtils.parse`; the error is its `IllegalArgumentException`
    /// (`Unknown language: xx`, `Unknown country: YY`, `Locales can have at most 3 parts …`).
    pub fn parse(text: &str) -> Result<Locale, Failure> {
        // The first separator found decides; `-` when there is none.
        let sep = match text.chars().find(|c| matches!(c, '-' | '_')) {
            Some('_') => '_',
            _ => '-',
        };
        let parts: Vec<&str> = text.split(sep).collect();
        let locale = match parts.as_slice() {
            [one] if one.eq_ignore_ascii_case("ROOT") => return Ok(Locale::ROOT),
            [language] => Locale::of(language, "", ""),
            [language, country] => Locale::of(language, country, ""),
            [language, country, variant] => Locale::of(language, country, variant),
            _ => {
                return Err(Failure::iae(format!(
                    "Locales can have at most 3 parts but got {}: [{}]",
                    parts.len(),
                    parts.join(", ")
                )));
            }
        };
        // `getISO3Language`: three letters pass as they are, two must be in the table.
        let language_ok = match java_len(&locale.language) {
            0 | 3 => true,
            2 => LANGUAGES.binary_search(&locale.language.as_str()).is_ok(),
            _ => false,
        };
        if !language_ok {
            return Err(Failure::iae(format!(
                "Unknown language: {}",
                parts.first().copied().unwrap_or_default()
            )));
        }
        // `getISO3Country`: only an empty country or a two-letter one from the table.
        let country_ok = match java_len(&locale.country) {
            0 => true,
            2 => COUNTRIES.binary_search(&locale.country.as_str()).is_ok(),
            _ => false,
        };
        if !country_ok {
            return Err(Failure::iae(format!(
                "Unknown country: {}",
                parts.get(1).copied().unwrap_or_default()
            )));
        }
        Ok(locale)
    }

    /// True when `Locale.Builder.setLanguageTag` accepts `tag` (well-formed BCP 47, `-` between
    /// subtags; `date_index_name` reports anything else as `Invalid language tag specified`).
    pub fn is_language_tag(tag: &str) -> bool {
        if LEGACY_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            return true;
        }
        let alpha = |s: &str, min: usize, max: usize| {
            (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
        };
        let alnum = |s: &str, min: usize, max: usize| {
            (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        let mut parts = tag.split('-').peekable();
        // Java's LanguageTag.parse: each part is optional and taken only when it fits.
        if parts.next_if(|s| alpha(s, 2, 8)).is_some() {
            for _ in 0..3 {
                if parts.next_if(|s| alpha(s, 3, 3)).is_none() {
                    break;
                }
            }
            parts.next_if(|s| alpha(s, 4, 4));
            parts.next_if(|s| {
                alpha(s, 2, 2) || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
            });
            while parts
                .next_if(|s| {
                    alnum(s, 5, 8)
                        || (alnum(s, 4, 4) && s.as_bytes().first().is_some_and(u8::is_ascii_digit))
                })
                .is_some()
            {}
            // Extensions: a letter other than `x`, then one or more 2–8 character subtags.
            while parts
                .next_if(|s| alpha(s, 1, 1) && !s.eq_ignore_ascii_case("x"))
                .is_some()
            {
                if parts.next_if(|s| alnum(s, 2, 8)).is_none() {
                    return false;
                }
                while parts.next_if(|s| alnum(s, 2, 8)).is_some() {}
            }
        }
        // Private use: `x`, then one or more 1–8 character subtags.
        if parts.next_if(|s| s.eq_ignore_ascii_case("x")).is_some() {
            if parts.next_if(|s| alnum(s, 1, 8)).is_none() {
                return false;
            }
            while parts.next_if(|s| alnum(s, 1, 8)).is_some() {}
        }
        parts.next().is_none()
    }

    /// `Locale.of`: ASCII-lower-cases the language (old ISO codes become the new ones, as
    /// since Java 17) and upper-cases the country.
    fn of(language: &str, country: &str, variant: &str) -> Locale {
        let language = match language.to_ascii_lowercase().as_str() {
            "iw" => "he".to_string(),
            "ji" => "yi".to_string(),
            "in" => "id".to_string(),
            other => other.to_string(),
        };
        Locale {
            language,
            country: country.to_ascii_uppercase(),
            variant: variant.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match Locale::parse(text) {
            Ok(l) => panic!("{text} parsed as {l:?}"),
            Err(f) => {
                assert_eq!(f.kind, "illegal_argument_exception");
                f.reason
            }
        }
    }

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(LANGUAGES.windows(2).all(|w| w[0] < w[1]));
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(LANGUAGES.len(), 188);
        assert_eq!(COUNTRIES.len(), 249);
    }

    #[test]
    fn parses_like_locale_utils() {
        let ok = |text: &str, l: &str, c: &str, v: &str| {
            assert_eq!(
                Locale::parse(text),
                Ok(Locale {
                    language: l.into(),
                    country: c.into(),
                    variant: v.into()
                }),
                "{text}"
            )
        };
        ok("en", "en", "", "");
        ok("EN-us", "en", "US", "");
        ok("de_DE_POSIX", "de", "DE", "POSIX");
        ok("root", "", "", "");
        ok("", "", "", "");
        ok("en-", "en", "", "");
        // Three letters are taken as they are: Java only looks two-letter codes up.
        ok("xyz", "xyz", "", "");
    }

    #[test]
    fn unknown_parts_are_named_as_given() {
        assert_eq!(err("xx"), "Unknown language: xx");
        assert_eq!(err("xx_NOPE_1"), "Unknown language: xx");
        assert_eq!(err("English"), "Unknown language: English");
        assert_eq!(err("é"), "Unknown language: é");
        assert_eq!(err("en-zz"), "Unknown country: zz");
        assert_eq!(err("en_USA"), "Unknown country: USA");
        assert_eq!(err("en_419"), "Unknown country: 419");
        assert_eq!(
            err("a-b-c-d"),
            "Locales can have at most 3 parts but got 4: [a, b, c, d]"
        );
        // The first separator decides: `GB-x` is one (unknown) country.
        assert_eq!(err("en_GB-x"), "Unknown country: GB-x");
    }

    #[test]
    fn language_tags_like_locale_builder() {
        // Checked against Java 25's `new Locale.Builder().setLanguageTag(tag)`.
        for tag in [
            "en",
            "en-US",
            "xx",
            "en-419",
            "en-US-POSIX",
            "de-1996-1996",
            "zh-min-nan",
            "zh-Latn-CN",
            "x-foo",
            "en-x-foo",
            "en-a-bc-a-de",
            "i-klingon",
            "I-KLINGON",
            "sgn-BE-FR",
            "EN-us",
        ] {
            assert!(Locale::is_language_tag(tag), "{tag}");
        }
        for tag in [
            "",
            "en_US",
            "xx_NOPE_1",
            "!!",
            "e",
            "abcdefghi",
            "en-",
            "-en",
            "en--US",
            "en-a",
            "en-1-ab",
            "x",
            "en-x",
            "en-US-oed",
            "é",
            "en-a-bc-x",
        ] {
            assert!(!Locale::is_language_tag(tag), "{tag}");
        }
    }
}
