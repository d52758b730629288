//! Nation (民族) codes of GB/T 3304 as written on resident ID cards: two digits on the
//! chip, the name on the card's face.

/// Code → name, in code order.
const NATIONS: [(&str, &str); 58] = [
    ("01", "汉"),
    ("02", "蒙古"),
    ("03", "回"),
    ("04", "藏"),
    ("05", "维吾尔"),
    ("06", "苗"),
    ("07", "彝"),
    ("08", "壮"),
    ("09", "布依"),
    ("10", "朝鲜"),
    ("11", "满"),
    ("12", "侗"),
    ("13", "瑶"),
    ("14", "白"),
    ("15", "土家"),
    ("16", "哈尼"),
    ("17", "哈萨克"),
    ("18", "傣"),
    ("19", "黎"),
    ("20", "傈僳"),
    ("21", "佤"),
    ("22", "畲"),
    ("23", "高山"),
    ("24", "拉祜"),
    ("25", "水"),
    ("26", "东乡"),
    ("27", "纳西"),
    ("28", "景颇"),
    ("29", "柯尔克孜"),
    ("30", "土"),
    ("31", "达斡尔"),
    ("32", "仫佬"),
    ("33", "羌"),
    ("34", "布朗"),
    ("35", "撒拉"),
    ("36", "毛南"),
    ("37", "仡佬"),
    ("38", "锡伯"),
    ("39", "阿昌"),
    ("40", "普米"),
    ("41", "塔吉克"),
    ("42", "怒"),
    ("43", "乌孜别克"),
    ("44", "俄罗斯"),
    ("45", "鄂温克"),
    ("46", "德昂"),
    ("47", "保安"),
    ("48", "裕固"),
    ("49", "京"),
    ("50", "塔塔尔"),
    ("51", "独龙"),
    ("52", "鄂伦春"),
    ("53", "赫哲"),
    ("54", "门巴"),
    ("55", "珞巴"),
    ("56", "基诺"),
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
];

/// The nation's name for a two-digit code, `None` for a code not in GB/T 3304.
pub fn nation_name(code: &str) -> Option<&'static str> {
    NATIONS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The code for a name (the simulator accepts either).
pub fn nation_code(name: &str) -> Option<&'static str> {
    NATIONS.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
}

/// Mongolian: the clerk panel offers the Mongolian screens for it (issue 16).
pub const MONGOLIAN: &str = "02";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_names_and_back() {
        assert_eq!(nation_name("01"), Some("汉"));
        assert_eq!(nation_name(MONGOLIAN), Some("蒙古"));
        assert_eq!(nation_name("56"), Some("基诺"));
        assert_eq!(nation_name("98"), Some("外国血统中国籍人士"));
        assert_eq!(nation_name("57"), None);
        assert_eq!(nation_name("1"), None);
        for (code, name) in NATIONS {
            assert_eq!(nation_code(name), Some(code));
        }
        // 56 nations in order, then 97 and 98.
        for (i, (code, _)) in NATIONS[..56].iter().enumerate() {
            assert_eq!(*code, format!("{:02}", i + 1));
        }
    }
}
