//! `certpoint card read` and `certpoint card simulate`: read the card on a reader once
//! (the administrator's check that the reader works, and the tests' way in), and put a
//! simulated reader on a pseudo-terminal.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};

use super::args::{CardReadArgs, SimulateArgs};
use crate::card_reader::sim::{self, CardSpec, Fault, PtyOptions};
use crate::card_reader::{
    CardKind, CardRead, PhotoDecoder, Reader, ReaderSettings, SerialTransport, ValidTo, BAUD_RATES,
};
use crate::config::{CardReaderSection, LoadedConfig};

/// Time between finds while waiting for a card.
const FIND_GAP: Duration = Duration::from_millis(200);

pub(super) fn read(
    cfg: Option<&LoadedConfig>,
    args: CardReadArgs,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let section = cfg
        .map(|c| c.config.card_reader.clone())
        .unwrap_or_default();
    let device = match (&args.device, cfg) {
        (Some(d), _) => d.clone(),
        (None, Some(c)) => crate::card_reader::configured_device(c),
        (None, None) => section.device.clone(),
    };
    let baud = args.baud.unwrap_or(section.baud);
    if !BAUD_RATES.iter().any(|&(b, _)| b == baud) {
        let speeds: Vec<String> = BAUD_RATES.iter().map(|(b, _)| b.to_string()).collect();
        bail!(
            "--baud {baud} is not a speed ID card readers use; use one of {}",
            speeds.join(", ")
        );
    }
    let decoder = photo_decoder(cfg, &section, &args)?;

    let transport = SerialTransport::open(&device, baud)?;
    let settings = ReaderSettings {
        retries: section.retries,
        removal_finds: section.removal_polls,
    };
    let mut reader = Reader::new(transport, settings);
    reader.sam_status()?;
    let today = chrono::Local::now().date_naive();
    let finds = match args.wait {
        Some(secs) => (secs.max(0.0) / FIND_GAP.as_secs_f64()).ceil() as u32 + 1,
        None => 5,
    };
    let read = reader.read_card(today, finds, FIND_GAP)?;
    let photo = match (&args.photo, decoder) {
        (Some(path), Some(d)) => {
            let img = d.decode(&read.photo_wlt)?;
            img.save_with_format(path, image::ImageFormat::Png)
                .with_context(|| format!("cannot write the photo to {}", path.display()))?;
            Some((path.clone(), img.dimensions()))
        }
        _ => None,
    };

    let card = &read.card;
    let expired = card.expired_on(today);
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&card.json(args.reveal))?)?;
        if expired {
            eprintln!("warning: {}", expired_text(&read));
        }
    } else {
        human(&read, args.reveal, out)?;
        if expired {
            writeln!(out, "  EXPIRED: {}", expired_text(&read))?;
        }
        match photo {
            Some((path, (w, h))) => {
                writeln!(out, "  chip photo:  {w}×{h}, saved to {}", path.display())?
            }
            None => writeln!(
                out,
                "  chip photo:  {} bytes, WLT (set [card_reader] photo_decoder and pass --photo FILE to decode it)",
                read.photo_wlt.len()
            )?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One card read off `device` for a certification (`certify --card-device`): the
/// configured line settings and decoder, waiting up to `wait_secs` for a card. The
/// chip photo is decoded when `[card_reader] photo_decoder` is set; a decoder failure
/// is returned beside the read, not as an error (the session falls back).
pub(super) fn read_for_session(
    cfg: &LoadedConfig,
    device: &std::path::Path,
    wait_secs: f64,
) -> anyhow::Result<crate::card_reader::CardEvent> {
    let section = &cfg.config.card_reader;
    let decoder = crate::card_reader::photo_decoder(cfg)?;
    let transport = SerialTransport::open(device, section.baud)?;
    let settings = ReaderSettings {
        retries: section.retries,
        removal_finds: section.removal_polls,
    };
    let mut reader = Reader::new(transport, settings);
    reader.sam_status()?;
    let today = chrono::Local::now().date_naive();
    let finds = (wait_secs.max(0.0) / FIND_GAP.as_secs_f64()).ceil() as u32 + 1;
    let read = reader.read_card(today, finds, FIND_GAP)?;
    let photo = decoder.map(|d| d.decode(&read.photo_wlt).map(std::sync::Arc::new));
    Ok(crate::card_reader::CardEvent {
        seq: 1,
        id: read.card.id_number().cloned(),
        expired: read.card.expired_on(today),
        read,
        photo,
    })
}

fn photo_decoder(
    cfg: Option<&LoadedConfig>,
    section: &CardReaderSection,
    args: &CardReadArgs,
) -> anyhow::Result<Option<PhotoDecoder>> {
    if args.photo.is_none() {
        return Ok(None);
    }
    let timeout = Duration::from_secs(section.photo_decoder_timeout_secs);
    let (template, base) = match (&args.photo_decoder, cfg) {
        (Some(t), _) => (t.clone(), std::env::current_dir()?),
        (None, Some(c)) if !section.photo_decoder.trim().is_empty() => {
            (section.photo_decoder.clone(), c.base_dir.clone())
        }
        _ => bail!(
            "--photo needs a photo decoder: set [card_reader] photo_decoder or pass \
             --photo-decoder \"/opt/vendor/wlt2bmp {{in}} {{out}}\" (certpoint has no WLT \
             decoder of its own)"
        ),
    };
    Ok(Some(PhotoDecoder::parse(&template, &base, timeout)?))
}

fn expired_text(read: &CardRead) -> String {
    match read.card.valid_to {
        ValidTo::Until(d) => format!(
            "the card expired on {d}; ask for a valid card or check the person's identity another way"
        ),
        ValidTo::LongTerm => String::new(),
    }
}

fn human(read: &CardRead, reveal: bool, out: &mut impl Write) -> std::io::Result<()> {
    let c = &read.card;
    let title = match c.kind {
        CardKind::Resident => "resident ID card (居民身份证)",
        CardKind::Permit => "Hong Kong/Macao/Taiwan residence permit (港澳台居民居住证)",
        CardKind::Foreign => "foreigner's permanent residence card (外国人永久居留身份证)",
    };
    let number = if reveal {
        c.number().to_owned()
    } else {
        c.masked_number()
    };
    writeln!(out, "{title}")?;
    writeln!(out, "  name:        {}", c.name)?;
    writeln!(out, "  sex:         {}", c.sex.as_str())?;
    match (c.kind, c.nation_name(), &c.nation) {
        (CardKind::Resident, Some(name), Some(code)) => {
            writeln!(out, "  nation:      {name} ({code})")?
        }
        (_, Some(n), _) => writeln!(out, "  nationality: {n}")?,
        _ => {}
    }
    writeln!(out, "  birth date:  {}", c.birth_date)?;
    if !c.address.is_empty() {
        writeln!(out, "  address:     {}", c.address)?;
    }
    writeln!(out, "  ID number:   {number}")?;
    writeln!(out, "  authority:   {}", c.authority)?;
    writeln!(out, "  valid:       {} to {}", c.valid_from, c.valid_to)?;
    if let Some(count) = c.issue_count {
        writeln!(out, "  permits issued: {count}")?;
    }
    Ok(())
}

pub(super) fn simulate(args: SimulateArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let spec =
        CardSpec {
            kind: Some(CardKind::parse(&args.kind).with_context(|| {
                format!("--type {:?}: use resident, hkmo or foreign", args.kind)
            })?),
            id: args.id,
            name: args.name,
            sex: args.sex,
            nation: args.nation,
            birth: args.birth,
            address: args.address,
            authority: args.authority,
            valid_from: args.valid_from,
            valid_to: args.valid_to,
            serial: args.serial,
        };
    let card = spec.build().map_err(anyhow::Error::msg)?;
    let faults = args
        .faults
        .iter()
        .map(|f| {
            f.parse::<Fault>()
                .map_err(|e| anyhow::anyhow!("--fault {f}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let link: PathBuf = args.link;
    sim::run(
        PtyOptions {
            link,
            card,
            present: !args.no_card,
            refind: args.refind,
            faults,
            remove_after: args.remove_after.map(Duration::from_secs_f64),
            verbose: args.verbose,
        },
        out,
    )
    .context("card reader simulator")?;
    Ok(ExitCode::SUCCESS)
}
