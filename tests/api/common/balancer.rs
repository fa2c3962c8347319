//! A small TCP load balancer for the tests: each new connection goes to the next upstream in
//! turn (round robin), as a cloud load balancer without sticky sessions would send it.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::{
    net::{TcpListener, TcpStream},
    task::AbortHandle,
};

pub struct Balancer {
    pub addr: SocketAddr,
    accept: AbortHandle,
}

impl Balancer {
    pub async fn start(upstreams: Vec<SocketAddr>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind balancer");
        let addr = listener.local_addr().unwrap();
        let next = Arc::new(AtomicUsize::new(0));
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstreams[next.fetch_add(1, Ordering::SeqCst) % upstreams.len()];
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        })
        .abort_handle();
        Balancer { addr, accept }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A browser whose every request opens a new connection, so consecutive requests reach
    /// different instances.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client")
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
