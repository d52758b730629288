//! Papers the kiosk prints: the Certificate of Assistance (协助认证证明, `certificate`)
//! and the certification receipt slip for the retiree (`receipt`), as PDFs (`pdf`), sent
//! to the configured CUPS printer or saved for the clerk (`print`).

pub mod certificate;
pub mod pdf;
pub mod print;
mod qr;
pub mod receipt;
mod receipt_issue;

pub use pdf::{render, PdfError, Sheet};
pub use receipt_issue::print_receipt;
