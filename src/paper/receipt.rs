//! The certification receipt slip (认证回执) the clerk prints for the retiree after an
//! attempt: what happened, in plain words, and what it means for the pension.
//!
//! Small paper: an 80 mm receipt roll (most counters have a thermal printer) or A6,
//! `[paper] receipt_size`. The ID number is masked; the record id lets the office find
//! the record again if the retiree comes back with the slip.

use chrono::{DateTime, FixedOffset, NaiveDate};

use certpoint_protocol::{mask_id_number, CertificationRecord, Method, Outcome};

use super::pdf::Sheet;

/// What a receipt says about the attempt, for the retiree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// A face match, a clerk's check of the ID card, or a certificate of assistance.
    Certified,
    /// Live, but the face is still to be matched by the agency.
    Pending,
    /// Not certified by this attempt.
    NotCertified,
}

impl Standing {
    pub fn of(outcome: Outcome) -> Standing {
        match outcome {
            Outcome::Passed | Outcome::ManualPassed => Standing::Certified,
            Outcome::PendingMatch => Standing::Pending,
            Outcome::Failed | Outcome::Abandoned => Standing::NotCertified,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Certified => "certified",
            Standing::Pending => "pending",
            Standing::NotCertified => "not_certified",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Standing::Certified => "认证结果：已通过",
            Standing::Pending => "认证结果：待核验",
            Standing::NotCertified => "认证结果：未通过",
        }
    }
}

/// Everything on a receipt slip.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub office_name: String,
    pub standing: Standing,
    /// Masked already.
    pub id_masked: String,
    pub period: String,
    pub at: DateTime<FixedOffset>,
    pub kiosk_id: String,
    pub seq: u64,
    pub record_id: String,
    /// How it was decided, in Chinese (人脸识别 / 经办人核验证件 / 协助认证).
    pub how: &'static str,
    /// The last day of the certification window the attempt counts for.
    pub deadline: NaiveDate,
}

impl Receipt {
    /// The receipt of a stored record (`deadline`: the window's last day).
    pub fn of(record: &CertificationRecord, office_name: &str, deadline: NaiveDate) -> Receipt {
        Receipt {
            office_name: office_name.trim().to_owned(),
            standing: Standing::of(record.effective_outcome()),
            id_masked: mask_id_number(&record.id_number),
            period: record.period.clone(),
            at: record.ended_at,
            kiosk_id: record.kiosk_id.clone(),
            seq: record.seq,
            record_id: record.record_id.to_string(),
            how: match record.method {
                Method::FaceAuto => "人脸识别",
                Method::ClerkManual { .. } => "经办人核验身份证件",
                Method::Assistance { .. } => "协助认证",
            },
            deadline,
        }
    }

    /// What the result means, for the retiree.
    pub fn meaning(&self) -> String {
        let deadline = self.deadline.format("%Y年%m月%d日");
        match self.standing {
            Standing::Certified => format!(
                "您{}年度的养老金领取资格认证已完成，本年度无需再次认证。认证记录将上传至社保经办机构。",
                self.period
            ),
            Standing::Pending => format!(
                "活体检测已通过，但人脸比对需由经办机构核验，核验通过后即视为认证完成。\
                 如需补充材料，工作人员会与您联系。请在{deadline}前关注结果。"
            ),
            Standing::NotCertified => format!(
                "本次认证未通过，您尚未完成{}年度认证。请在{deadline}前再次认证，或请工作人员核验身份证件办理。\
                 逾期未认证的，将暂停发放养老金，补办认证后恢复。",
                self.period
            ),
        }
    }

    /// The sheet, `size` `"80mm"` (80 × 140 mm roll) or `"a6"` (105 × 148 mm).
    pub fn sheet(&self, size: &str) -> Sheet {
        let (w, h, margin, big, body) = if size == "a6" {
            (105.0, 148.0, 8.0, 15.0, 10.0)
        } else {
            (80.0, 140.0, 4.0, 13.0, 9.0)
        };
        let mut s = Sheet::new(w, h, "认证回执");
        s.centred(margin + 8.0, big, "养老金领取资格认证回执");
        let mut y = margin + 15.0;
        for line in super::pdf::wrap(&self.office_name, body, w - 2.0 * margin) {
            s.centred(y, body, &line);
            y += body * 0.5;
        }
        y += 2.0;
        s.line(margin, y, w - margin, y, 0.3);
        y += 8.0;
        s.centred(y, big + 1.0, self.standing.heading());
        y += 9.0;
        let leading = body * 0.55;
        for line in [
            format!("身份证号：{}", self.id_masked),
            format!("认证年度：{}年度", self.period),
            format!("认证时间：{}", self.at.format("%Y-%m-%d %H:%M")),
            format!("认证方式：{}", self.how),
            format!("终端：{}  序号：{}", self.kiosk_id, self.seq),
        ] {
            s.text(margin, y, body, line);
            y += leading;
        }
        y += 2.0;
        s.line(
            margin,
            y - leading * 0.6,
            w - margin,
            y - leading * 0.6,
            0.2,
        );
        y += 2.0;
        y = s.wrapped(margin, y, w - 2.0 * margin, body, leading, &self.meaning());
        y += 2.0;
        s.wrapped(
            margin,
            y,
            w - 2.0 * margin,
            body * 0.75,
            leading * 0.8,
            &format!("记录号：{}", self.record_id),
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(standing: Standing) -> Receipt {
        Receipt {
            office_name: "朝阳区社会保险事业管理中心".into(),
            standing,
            id_masked: "1101**********002X".into(),
            period: "2026".into(),
            at: DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap(),
            kiosk_id: "K1".into(),
            seq: 7,
            record_id: "0190a000-0000-7000-8000-000000000001".into(),
            how: "人脸识别",
            deadline: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        }
    }

    #[test]
    fn each_standing_says_what_it_means() {
        assert!(receipt(Standing::Certified).meaning().contains("已完成"));
        assert!(receipt(Standing::Pending)
            .meaning()
            .contains("2026年06月30日前"));
        let failed = receipt(Standing::NotCertified).meaning();
        assert!(
            failed.contains("暂停发放") && failed.contains("2026年06月30日"),
            "{failed}"
        );
    }

    #[test]
    fn outcomes_map_to_standings() {
        assert_eq!(Standing::of(Outcome::Passed), Standing::Certified);
        assert_eq!(Standing::of(Outcome::ManualPassed), Standing::Certified);
        assert_eq!(Standing::of(Outcome::PendingMatch), Standing::Pending);
        assert_eq!(Standing::of(Outcome::Failed), Standing::NotCertified);
        assert_eq!(Standing::of(Outcome::Abandoned), Standing::NotCertified);
    }

    #[test]
    fn both_sizes_keep_the_text_on_the_paper() {
        for (size, w) in [("80mm", 80.0), ("a6", 105.0)] {
            let s = receipt(Standing::NotCertified).sheet(size);
            assert_eq!(s.width_mm, w);
            for item in &s.items {
                if let super::super::pdf::Item::Text {
                    x,
                    y,
                    size_pt,
                    text,
                } = item
                {
                    let right = x + super::super::pdf::text_width_mm(text, *size_pt);
                    assert!(
                        *x >= 0.0 && right <= w + 0.01 && *y < s.height_mm,
                        "{size}: {text} ends at {right}"
                    );
                }
            }
        }
    }
}
