//! `forklab cat FILE`: the article's `execve_cat`. This process becomes `/bin/cat FILE`: same
//! pid, no fork, and nothing of forklab runs afterwards. The environment is empty, as in the
//! article's `execve(path, argv, 0)`.

use crate::Outcome;
use crate::args::CatArgs;

const CAT: &str = "/bin/cat";

pub(crate) fn run(args: CatArgs) -> anyhow::Result<Outcome> {
    // `--`: a file named `-n` is a file, not an option of cat's.
    let error = forklab_spawn::Command::new(CAT)
        .args(["--".as_ref(), args.file.as_os_str()])
        .env_clear()
        .exec();
    Err(error.into())
}
