//! A few dedicated threads for argon2 work. Each argon2id hash takes 19 MiB; done on whatever
//! blocking-pool thread a request happens to run on, every such thread's allocator arena keeps
//! that memory, and peak RSS grows with the number of threads (hundreds of MB under a login
//! burst). Running the hashes on at most one thread per core keeps the memory to a few arenas
//! and the CPU work to what the cores can do anyway.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::thread;

type Job = Box<dyn FnOnce() + Send>;

/// The queue the hashing threads take jobs from; `None` if no thread could be started.
static QUEUE: LazyLock<Option<Mutex<Sender<Job>>>> = LazyLock::new(start_threads);

fn start_threads() -> Option<Mutex<Sender<Job>>> {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    let threads = thread::available_parallelism().map_or(1, |cores| cores.get().min(4));
    let mut started = 0;
    for index in 0..threads {
        let receiver = Arc::clone(&receiver);
        let spawned = thread::Builder::new()
            .name(format!("pb-hashing-{index}"))
            .spawn(move || work(&receiver));
        if spawned.is_ok() {
            started += 1;
        }
    }
    (started > 0).then(|| Mutex::new(sender))
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let queue = receiver.lock().unwrap_or_else(PoisonError::into_inner);
            queue.recv()
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Runs `job` on a hashing thread and waits for its result (on the calling thread when the
/// pool is unavailable).
pub(crate) fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    let (result_sender, result_receiver) = mpsc::sync_channel::<T>(1);
    let mut job = Some(job);
    if let Some(queue) = QUEUE.as_ref() {
        let sender = queue.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(job) = job.take() {
            let boxed: Job = Box::new(move || {
                // The waiting caller may be gone (its request was dropped); nothing to do then.
                let _ = result_sender.send(job());
            });
            if let Err(mpsc::SendError(returned)) = sender.send(boxed) {
                returned();
            }
        }
        if let Ok(result) = result_receiver.recv() {
            return result;
        }
    }
    match job.take() {
        Some(job) => job(),
        None => unreachable_result(),
    }
}

/// Only reached if a hashing thread died mid-job (a panic inside argon2); the caller then gets
/// a panic too, which the blocking pool turns into a 500.
fn unreachable_result<T>() -> T {
    panic!("a hashing thread stopped without an answer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_off_the_calling_thread_and_return_their_value() {
        let caller = thread::current().id();
        let (value, ran_on) = run(move || (21 * 2, thread::current().id()));
        assert_eq!(value, 42);
        assert_ne!(ran_on, caller);
    }
}
