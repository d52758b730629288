//! The Certificate of Assistance (协助认证证明) as an A4 sheet.
//!
//! What is on it, and why:
//! - the office's name (`[paper] office_name`) and a serial unique per kiosk, so the
//!   paper names who issued it and can be filed;
//! - the retiree's and the relative's ID numbers **masked** (`1101**********002X`): the
//!   relative takes the paper home, and a full number on it would be a copy of the
//!   retiree's identity for anyone who finds it. The agency holds the full numbers;
//! - the relative's name, the relation, the reason, date and clerk id;
//! - the verification code and a QR code of the agency's verification URL
//!   (`GET /v1/assistance/{serial}?code=…`), so whoever is shown the paper can have
//!   the agency confirm it;
//! - when the agency could not be asked the retiree's status at issue, a line saying so
//!   (the record is queued and the agency's own rules decide when it arrives);
//! - signature lines for the relative and the clerk, and room for the office's stamp.

use chrono::{DateTime, FixedOffset};

use certpoint_protocol::assistance::format_code;
use certpoint_protocol::{mask_id_number, Relation};

use super::pdf::{missing_chars, Item, Sheet, MISSING};
use super::qr;

/// What a certificate says. ID numbers in full here; the sheet masks them.
#[derive(Clone, PartialEq)]
pub struct Certificate {
    pub office_name: String,
    pub serial: String,
    pub verification_code: String,
    /// What the QR code holds (the agency's verification URL).
    pub verify_url: String,
    pub period: String,
    pub issued_at: DateTime<FixedOffset>,
    pub pensioner_id: String,
    pub relative_id: String,
    pub relative_name: String,
    pub relation: Relation,
    pub reason: String,
    pub clerk_id: String,
    /// The agency's status of the retiree could not be checked (offline, no answer):
    /// the paper says so, in Chinese; the technical reason stays in the JSON and logs.
    pub status_unchecked: bool,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("serial", &self.serial)
            .field("pensioner_id", &mask_id_number(&self.pensioner_id))
            .field("relative_id", &mask_id_number(&self.relative_id))
            .finish_non_exhaustive()
    }
}

pub const TITLE: &str = "协助认证证明";
const W: f32 = 210.0;
const H: f32 = 297.0;
const LEFT: f32 = 22.0;
const TEXT_W: f32 = W - 2.0 * LEFT;

/// Chinese date as printed: 2026年04月02日.
pub fn zh_date(t: &DateTime<FixedOffset>) -> String {
    t.format("%Y年%m月%d日").to_string()
}

impl Certificate {
    /// Characters of the relative's name the paper font cannot print (shown as □).
    pub fn missing_name_chars(&self) -> Vec<char> {
        missing_chars(&self.relative_name)
    }

    /// The A4 sheet.
    pub fn sheet(&self) -> Result<Sheet, String> {
        let mut s = Sheet::new(W, H, &format!("{TITLE} {}", self.serial));
        s.items.push(Item::Frame {
            x: 12.0,
            y: 12.0,
            w: W - 24.0,
            h: H - 24.0,
            width_mm: 0.6,
        });
        s.centred(34.0, 26.0, TITLE);
        s.centred(45.0, 14.0, self.office_name.trim());
        s.text(LEFT, 58.0, 11.0, format!("编号：{}", self.serial));
        let date = zh_date(&self.issued_at);
        let date_label = format!("日期：{date}");
        let dw = super::pdf::text_width_mm(&date_label, 11.0);
        s.text(W - LEFT - dw, 58.0, 11.0, date_label);
        s.line(LEFT, 61.0, W - LEFT, 61.0, 0.3);

        let pensioner = mask_id_number(&self.pensioner_id);
        let relative = mask_id_number(&self.relative_id);
        let missing = self.missing_name_chars();
        let name: String = self
            .relative_name
            .chars()
            .map(|c| if missing.contains(&c) { MISSING } else { c })
            .collect();
        let body = format!(
            "兹证明：身份证号为 {pensioner} 的退休人员，因长期卧床等原因无法本人到场办理{}年度养老金领取资格认证。\
             其{}{}（身份证号 {relative}）于{date}持双方身份证件到本经办机构申请协助认证，\
             经办人核验证件后予以办理。本次认证为协助认证，未进行人脸识别。",
            self.period,
            self.relation.zh(),
            name.trim(),
        );
        let mut y = s.wrapped(LEFT, 74.0, TEXT_W, 13.0, 8.0, &body);
        y += 6.0;
        let rows: Vec<(&str, String)> = vec![
            ("退休人员身份证号", pensioner.clone()),
            ("协助人姓名", name.trim().to_owned()),
            ("协助人身份证号", relative.clone()),
            ("与退休人员关系", self.relation.zh().to_owned()),
            ("认证年度", format!("{}年度", self.period)),
            ("认证方式", "协助认证（经办人核验，非人脸识别）".to_owned()),
            ("经办人工号", self.clerk_id.clone()),
            ("核验码", format_code(&self.verification_code)),
        ];
        for (label, value) in rows {
            s.text(LEFT, y, 12.0, format!("{label}："));
            s.text(LEFT + 42.0, y, 12.0, value);
            y += 8.0;
        }
        s.text(LEFT, y, 12.0, "申请事由：");
        y = s.wrapped(LEFT + 42.0, y, TEXT_W - 42.0, 12.0, 7.0, self.reason.trim());
        y += 2.0;
        if !missing.is_empty() {
            let codes: Vec<String> = missing
                .iter()
                .map(|c| format!("U+{:04X}", u32::from(*c)))
                .collect();
            y = s.wrapped(
                LEFT,
                y + 2.0,
                TEXT_W,
                10.5,
                6.0,
                &format!(
                    "注：协助人姓名中的字库外字符（{}）以{MISSING}显示，请经办人在此手写姓名：",
                    codes.join("、")
                ),
            );
            s.line(LEFT + 60.0, y + 2.0, W - LEFT - 10.0, y + 2.0, 0.3);
            y += 8.0;
        }
        if self.status_unchecked {
            y = s.wrapped(
                LEFT,
                y + 2.0,
                TEXT_W,
                10.5,
                6.0,
                "注：办理时未能向经办机构核验该退休人员的认证状态（终端离线或经办机构无应答）；本记录已排队上传，以经办机构核验结果为准。",
            );
        }

        // The QR code and how to use it, bottom right; signatures bottom left.
        let qr_size = 42.0;
        let qr_x = W - LEFT - qr_size;
        let qr_y = 200.0_f32.max(y + 4.0);
        qr::draw(&mut s, qr_x, qr_y, qr_size, &self.verify_url)?;
        s.text(qr_x + 2.0, qr_y + qr_size + 5.0, 9.0, "扫码向经办机构核验");
        s.text(LEFT, qr_y + 10.0, 12.0, "协助人签字：");
        s.line(LEFT + 26.0, qr_y + 11.0, LEFT + 90.0, qr_y + 11.0, 0.3);
        s.text(LEFT, qr_y + 24.0, 12.0, "经办人签字：");
        s.line(LEFT + 26.0, qr_y + 25.0, LEFT + 90.0, qr_y + 25.0, 0.3);
        s.text(LEFT, qr_y + 38.0, 12.0, "经办机构（盖章）");
        s.wrapped(
            LEFT,
            H - 26.0,
            TEXT_W,
            8.5,
            4.5,
            &format!(
                "本证明由自助认证终端生成，真伪以经办机构核验为准。核验：凭编号与核验码查询 {}",
                self.verify_url
            ),
        );
        Ok(s)
    }
}

/// What the QR code holds: the agency's verification URL, or (a kiosk with no agency
/// configured) a `certpoint-assistance:` URI with the same serial and code, which the
/// agency's staff type into the same endpoint.
pub fn verify_url(server_url: &str, serial: &str, code: &str) -> String {
    let base = server_url.trim().trim_end_matches('/');
    if base.is_empty() {
        format!("certpoint-assistance:{serial}?code={code}")
    } else {
        format!("{base}/v1/assistance/{serial}?code={code}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Certificate {
        Certificate {
            office_name: "朝阳区社会保险事业管理中心".into(),
            serial: "110105-K1-2026-0001".into(),
            verification_code: "ABCDE12345".into(),
            verify_url: verify_url(
                "https://agency.example",
                "110105-K1-2026-0001",
                "ABCDE12345",
            ),
            period: "2026".into(),
            issued_at: DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap(),
            pensioner_id: "11010519491231002X".into(),
            relative_id: "310115196002291236".into(),
            relative_name: "张小明".into(),
            relation: Relation::Child,
            reason: "长期卧床，无法到场".into(),
            clerk_id: "C01".into(),
            status_unchecked: false,
        }
    }

    #[test]
    fn the_sheet_masks_both_numbers_and_shows_the_code() {
        let s = sample().sheet().unwrap();
        let all: String = s.texts().collect::<Vec<_>>().join("\n");
        assert!(!all.contains("11010519491231002X") && !all.contains("310115196002291236"));
        for want in [
            "协助认证证明",
            "1101**********002X",
            "3101**********1236",
            "ABCDE-12345",
            "子女",
            "张小明",
            "C01",
            "2026年04月02日",
        ] {
            assert!(all.contains(want), "{want} missing from {all}");
        }
        assert!(!all.contains("未能向经办机构核验"));
    }

    #[test]
    fn an_unchecked_status_and_a_rare_character_are_said() {
        let mut c = sample();
        c.relative_name = "张𠀀".into();
        c.status_unchecked = true;
        assert_eq!(c.missing_name_chars(), vec!['𠀀']);
        let s = c.sheet().unwrap();
        let all: String = s.texts().collect::<Vec<_>>().join("\n");
        assert!(all.contains("张□"), "{all}");
        assert!(all.contains("U+20000"), "{all}");
        assert!(all.contains("未能向经办机构核验"), "{all}");
    }

    #[test]
    fn the_qr_code_names_the_verification_endpoint() {
        assert_eq!(
            verify_url("https://a.example/", "S-1", "ABCDE12345"),
            "https://a.example/v1/assistance/S-1?code=ABCDE12345"
        );
        assert_eq!(
            verify_url("", "S-1", "ABCDE12345"),
            "certpoint-assistance:S-1?code=ABCDE12345"
        );
    }
}
