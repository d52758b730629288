//! Province-level region codes: the first two digits of a resident ID number.
//!
//! Only the province is checked. The remaining four digits name a prefecture and a county
//! under GB/T 2260, and that table changes every year (counties merge, split and are
//! renamed) while numbers issued under the old codes stay valid for life. Checking them
//! would need a table of every code ever issued and would still reject real cards whenever
//! the table lagged behind, so a retiree would be turned away for our mistake.

/// The English (pinyin) name of a province-level division, or `None` when `code` is not
/// one that appears on resident ID numbers or residence permits.
pub(super) fn province_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "11" => "Beijing",
        "12" => "Tianjin",
        "13" => "Hebei",
        "14" => "Shanxi",
        "15" => "Nei Mongol",
        "21" => "Liaoning",
        "22" => "Jilin",
        "23" => "Heilongjiang",
        "31" => "Shanghai",
        "32" => "Jiangsu",
        "33" => "Zhejiang",
        "34" => "Anhui",
        "35" => "Fujian",
        "36" => "Jiangxi",
        "37" => "Shandong",
        "41" => "Henan",
        "42" => "Hubei",
        "43" => "Hunan",
        "44" => "Guangdong",
        "45" => "Guangxi",
        "46" => "Hainan",
        "50" => "Chongqing",
        "51" => "Sichuan",
        "52" => "Guizhou",
        "53" => "Yunnan",
        "54" => "Xizang",
        "61" => "Shaanxi",
        "62" => "Gansu",
        "63" => "Qinghai",
        "64" => "Ningxia",
        "65" => "Xinjiang",
        // 71 is Taiwan in GB/T 2260. 81, 82 and 83 head the residence permits issued since
        // 2018 to residents of Hong Kong, Macao and Taiwan; those holders can draw a
        // mainland pension too, so they must be accepted here.
        "71" | "83" => "Taiwan",
        "81" => "Hong Kong",
        "82" => "Macao",
        _ => return None,
    })
}

/// Every accepted two-digit code, for tests and generators.
#[cfg(test)]
pub(super) const PROVINCE_CODES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];
