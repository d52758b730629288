//! certpoint-agency: serve the reference agency server, or administer its data
//! directory (kiosks, roster, self-certifications, status, reference photos,
//! received records). Everything is in the library's `cli` module.

fn main() -> std::process::ExitCode {
    certpoint_agency::cli::main()
}
