//! `gatehouse precompress`: writes a brotli (`.br`) and a gzip (`.gz`) copy beside every
//! compressible file of the site bundle, once, at the highest settings, so the server sends
//! assets precompressed (`ServeDir::precompressed_br`) instead of spending CPU on every request.

use std::{
    fs::{self, File},
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
};

use anyhow::Context;

/// Files smaller than this gain nothing worth a second copy.
const MIN_BYTES: u64 = 512;

const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "svg", "html", "json", "txt", "map"];

/// What [`run`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub compressed: usize,
    pub up_to_date: usize,
}

/// Compresses every eligible file under `dir` whose copies are missing or older than it.
pub fn run(dir: &Path) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for path in files(dir).with_context(|| format!("reading {}", dir.display()))? {
        let eligible = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| COMPRESSIBLE.contains(&ext));
        let len = fs::metadata(&path)?.len();
        if !eligible || len < MIN_BYTES {
            continue;
        }
        let br = with_suffix(&path, "br");
        let gz = with_suffix(&path, "gz");
        if fresh(&path, &br)? && fresh(&path, &gz)? {
            report.up_to_date += 1;
            continue;
        }
        let data = fs::read(&path)?;
        write_atomically(&br, |out| {
            let mut encoder = brotli::CompressorWriter::new(out, 64 * 1024, 11, 22);
            encoder.write_all(&data)?;
            encoder.flush()
        })?;
        write_atomically(&gz, |out| {
            let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::best());
            encoder.write_all(&data)?;
            encoder.finish().map(|_| ())
        })?;
        report.compressed += 1;
    }
    Ok(report)
}

fn files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(files(&path)?);
        } else {
            found.push(path);
        }
    }
    Ok(found)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether `copy` exists and is at least as new as `source`.
fn fresh(source: &Path, copy: &Path) -> io::Result<bool> {
    match fs::metadata(copy) {
        Ok(meta) => Ok(meta.modified()? >= fs::metadata(source)?.modified()?),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

/// Writes through a temporary file renamed into place, so a server never serves half a file.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> anyhow::Result<()> {
    let temporary = with_suffix(path, "tmp");
    let mut out = BufWriter::new(File::create(&temporary)?);
    write(&mut out)?;
    out.into_inner()
        .map_err(|err| err.into_error())?
        .sync_all()?;
    fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn compresses_big_assets_once_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        fs::create_dir(&pkg).unwrap();
        let js = "console.log('gatehouse');\n".repeat(100);
        fs::write(pkg.join("app.js"), &js).unwrap();
        fs::write(pkg.join("tiny.css"), "a{}").unwrap();
        fs::write(dir.path().join("photo.png"), vec![7_u8; 4096]).unwrap();

        let first = run(dir.path()).unwrap();
        let second = run(dir.path()).unwrap();

        assert_eq!(
            first,
            Report {
                compressed: 1,
                up_to_date: 0
            }
        );
        assert_eq!(
            second,
            Report {
                compressed: 0,
                up_to_date: 1
            }
        );
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(File::open(pkg.join("app.js.gz")).unwrap())
            .read_to_string(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, js);
        let mut unbrotlied = String::new();
        brotli::Decompressor::new(File::open(pkg.join("app.js.br")).unwrap(), 4096)
            .read_to_string(&mut unbrotlied)
            .unwrap();
        assert_eq!(unbrotlied, js);
        assert!(!pkg.join("tiny.css.br").exists());
        assert!(!dir.path().join("photo.png.br").exists());
    }
}
