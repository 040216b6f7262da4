/*
 * Copyright (c) 2026 the smtpdane authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * benchsmtpd: the SMTP server of `make bench`.
 *
 * One process serves N bench hosts, each on a loopback address of its
 * own, from one epoll loop, with OpenSSL over memory BIOs: the server
 * sees every TLS flight it produces and, like every SMTP reply, holds
 * it back for a fixed delay, the stand-in for network latency.  What
 * is produced in answer to one input is released together, delay
 * after that input arrived, so each round trip the client waits for
 * costs it the delay once.
 *
 * At start it makes the hosts' keys and certificates in memory: even
 * hosts are DANE-EE (3 1 1, a self-signed leaf), odd ones DANE-TA
 * (2 1 1 on the bench CA, whose certificate follows a leaf naming the
 * host).  It writes DIR/hosts ("name address usage" lines) and
 * DIR/records (the A and TLSA records, zone file lines) for bench.sh
 * to sign, then listens, then writes the pid file.  SIGUSR1 writes
 * its counters and its own CPU time to DIR/stats; SIGTERM ends it.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAXLINE		1000
#define READSIZE	16384
#define MAXKINDS	16	/* distinct TLS parameter sets counted */
#define LISTEN_TAG	(1ULL << 32)

struct host {
	char		 name[64];
	char		 addr[INET_ADDRSTRLEN];
	int		 ta;		/* DANE-TA, else DANE-EE */
	X509		*cert;
	EVP_PKEY	*key;
	STACK_OF(X509)	*chain;		/* the CA for DANE-TA */
};

struct conn {
	int		 fd;
	uint64_t	 gen;
	struct host	*host;
	SSL		*ssl;		/* NULL before STARTTLS */
	BIO		*rbio, *wbio;	/* owned by ssl */
	int		 handshaken;
	int		 closing;	/* close when all is sent */
	int		 waitout;	/* EPOLLOUT armed */
	int		 hellos;	/* ClientHellos seen (2: HRR) */
	int		 keyshare;	/* group of the first key share */
	unsigned int	 pending;	/* chunks in the delay queue */
	uint64_t	 lastdue;	/* release time of the last chunk */
	char		 in[MAXLINE + 1];
	size_t		 inlen;
	char		*out;
	size_t		 outlen, outsize;
};

/* A chunk of output waiting for its time; the queue is FIFO. */
struct chunk {
	struct chunk	*next;
	uint64_t	 due;		/* CLOCK_MONOTONIC ns */
	int		 fd;
	uint64_t	 gen;
	size_t		 len;
	unsigned char	 data[];
};

struct kind {
	char		 what[160];
	unsigned long	 count;
};

static struct {
	unsigned long	 accepted, closed, starttls, handshakes, failed;
	unsigned long	 hrr, tickets, records, chunks, rounds, replies;
	unsigned long long bytes_in, bytes_out;
	unsigned long	 seq;
} st;

static struct host	*hosts;
static int		 nhosts;
static int		*lfds;
static struct conn	**conns;
static int		 maxfd;
static uint64_t		 gen;
static struct chunk	*qhead, *qtail;
static uint64_t		 delay_ns = 20 * 1000000ULL;
static int		 ep;
static SSL_CTX		*sctx;
static struct kind	 kinds[MAXKINDS];
static int		 nkinds;
static const char	*dir = ".";
static volatile sig_atomic_t gotusr1, gotterm;

static void
usage(void)
{
	fprintf(stderr, "usage: benchsmtpd -n hosts [-d delay_ms] "
	    "[-D domain] [-N first_address]\n"
	    "\t[-p port] [-P pidfile] [-w dir] [-x]\n");
	exit(2);
}

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void
ssl_fatal(const char *what)
{
	ERR_print_errors_fp(stderr);
	errx(1, "%s failed", what);
}

/*
 * Keys and certificates.
 */
static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		ssl_fatal("X509V3_EXT_conf_nid");
	if (!X509_add_ext(x, ext, -1))
		ssl_fatal("X509_add_ext");
	X509_EXTENSION_free(ext);
}

/* A certificate for key named cn, signed by issuer (self if NULL). */
static X509 *
mkcert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    int ca, long serial)
{
	X509		*x;
	X509_NAME	*name;
	char		 san[128];

	if ((x = X509_new()) == NULL)
		ssl_fatal("X509_new");
	if ((name = X509_NAME_new()) == NULL)
		ssl_fatal("X509_NAME_new");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 365 * 86400L);
	X509_set_pubkey(x, key);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0))
		ssl_fatal("X509_NAME_add_entry_by_txt");
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name);
	X509_NAME_free(name);
	if (issuer == NULL)
		issuer = x;
	if (ca) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign");
	} else {
		snprintf(san, sizeof(san), "DNS:%s", cn);
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_key_usage,
		    "critical,digitalSignature");
		add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
		add_ext(x, issuer, NID_subject_alt_name, san);
	}
	if (!X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()))
		ssl_fatal("X509_sign");
	return x;
}

static EVP_PKEY *
mkkey(void)
{
	EVP_PKEY	*k;

	if ((k = EVP_EC_gen("P-256")) == NULL)
		ssl_fatal("EVP_EC_gen");
	return k;
}

/* SHA-256 of the certificate's SubjectPublicKeyInfo, in hex. */
static void
spki_sha256(X509 *x, char *hex)
{
	unsigned char	*der = NULL, md[32];
	unsigned int	 mdlen;
	int		 len, i;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0)
		ssl_fatal("i2d_X509_PUBKEY");
	if (!EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL))
		ssl_fatal("EVP_Digest");
	OPENSSL_free(der);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static FILE *
wopen(const char *name)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	return f;
}

static void
wclose(FILE *f, const char *name)
{
	if (fflush(f) == EOF || ferror(f) || fclose(f) == EOF)
		err(1, "%s/%s", dir, name);
}

static void
make_hosts(const char *domain, uint32_t first, int port)
{
	EVP_PKEY	*cakey;
	X509		*ca;
	FILE		*hf, *rf;
	struct in_addr	 ia;
	char		 cahex[65], hex[65];
	int		 i;

	cakey = mkkey();
	ca = mkcert(cakey, "smtpdane bench CA", NULL, NULL, 1, 1);
	spki_sha256(ca, cahex);
	if ((hosts = calloc(nhosts, sizeof(*hosts))) == NULL)
		err(1, NULL);
	hf = wopen("hosts");
	rf = wopen("records");
	for (i = 0; i < nhosts; i++) {
		struct host	*h = &hosts[i];

		snprintf(h->name, sizeof(h->name), "h%04d.%s", i, domain);
		ia.s_addr = htonl(first + i);
		inet_ntop(AF_INET, &ia, h->addr, sizeof(h->addr));
		h->ta = i % 2;
		h->key = mkkey();
		if (h->ta) {
			h->cert = mkcert(h->key, h->name, ca, cakey, 0, 2 + i);
			if ((h->chain = sk_X509_new_null()) == NULL ||
			    !sk_X509_push(h->chain, ca))
				ssl_fatal("sk_X509_push");
			X509_up_ref(ca);
		} else
			h->cert = mkcert(h->key, h->name, NULL, NULL, 0, 2 + i);
		if (!h->ta)
			spki_sha256(h->cert, hex);
		fprintf(hf, "%s %s %s\n", h->name, h->addr,
		    h->ta ? "dane-ta" : "dane-ee");
		fprintf(rf, "%s.\t3600\tIN\tA\t%s\n", h->name, h->addr);
		fprintf(rf, "_%d._tcp.%s.\t3600\tIN\tTLSA\t%s 1 1 %s\n", port,
		    h->name, h->ta ? "2" : "3", h->ta ? cahex : hex);
	}
	wclose(hf, "hosts");
	wclose(rf, "records");
	X509_free(ca);
	EVP_PKEY_free(cakey);
}

/*
 * Counters.
 */

/* Names for the IANA TLS group ids of a key share. */
static const char *
group_name(int id)
{
	switch (id) {
	case 0:		return "none";
	case 23:	return "P-256";
	case 24:	return "P-384";
	case 25:	return "P-521";
	case 29:	return "X25519";
	case 30:	return "X448";
	}
	return "other";
}

static void
count_kind(struct conn *c)
{
	char		 what[160];
	const char	*g;
	int		 i, nid;

	nid = SSL_get_negotiated_group(c->ssl);
	g = nid == 0 ? "none" : SSL_group_to_name(c->ssl, nid);
	snprintf(what, sizeof(what), "%s %s group %s, first key share %s%s",
	    SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl),
	    g != NULL ? g : "?", group_name(c->keyshare),
	    c->hellos > 1 ? ", HelloRetryRequest" : "");
	for (i = 0; i < nkinds; i++)
		if (strcmp(kinds[i].what, what) == 0)
			break;
	if (i == nkinds) {
		if (nkinds == MAXKINDS)
			return;
		strlcpy(kinds[nkinds++].what, what, sizeof(kinds[0].what));
	}
	kinds[i].count++;
}

static void
write_stats(void)
{
	struct rusage	 ru;
	char		 path[1024], tmp[1040];
	FILE		*f;
	int		 i;

	getrusage(RUSAGE_SELF, &ru);
	snprintf(path, sizeof(path), "%s/stats", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		warn("%s", tmp);
		return;
	}
	fprintf(f, "seq %lu\n", ++st.seq);
	fprintf(f, "cpu_us %lld\n",
	    (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	fprintf(f, "accepted %lu\nclosed %lu\nstarttls %lu\n"
	    "handshakes %lu\nfailed %lu\nhrr %lu\ntickets %lu\n"
	    "records %lu\nreplies %lu\nchunks %lu\nrounds %lu\n"
	    "bytes_in %llu\nbytes_out %llu\n", st.accepted, st.closed,
	    st.starttls, st.handshakes, st.failed, st.hrr, st.tickets,
	    st.records, st.replies, st.chunks, st.rounds, st.bytes_in,
	    st.bytes_out);
	for (i = 0; i < nkinds; i++)
		fprintf(f, "tls %lu %s\n", kinds[i].count, kinds[i].what);
	if (fclose(f) == EOF || rename(tmp, path) == -1)
		warn("%s", path);
}

/* Handshake messages and records the server sends. */
static void
msg_cb(int write_p, int version, int type, const void *buf, size_t len,
    SSL *ssl, void *arg)
{
	const unsigned char *p = buf;

	if (!write_p)
		return;
	if (type == SSL3_RT_HEADER)
		st.records++;
	else if (type == SSL3_RT_HANDSHAKE && len > 0 &&
	    p[0] == SSL3_MT_NEWSESSION_TICKET)
		st.tickets++;
}

/* Which group the client's first key share is for; HRR count. */
static int
hello_cb(SSL *ssl, int *al, void *arg)
{
	struct conn		*c = SSL_get_app_data(ssl);
	const unsigned char	*p;
	size_t			 len;

	if (++c->hellos > 1)
		st.hrr++;
	if (c->hellos == 1 && SSL_client_hello_get0_ext(ssl, 51, &p, &len) &&
	    len >= 4)
		c->keyshare = p[2] << 8 | p[3];
	return SSL_CLIENT_HELLO_SUCCESS;
}

/*
 * Connections.
 */
static void
conn_close(struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	SSL_free(c->ssl);
	free(c->out);
	free(c);
	st.closed++;
}

static void
watch_out(struct conn *c, int on)
{
	struct epoll_event ev;

	if (c->waitout == on)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
	ev.data.u64 = c->fd;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
	c->waitout = on;
}

/* Write what is released; 0 when the connection was closed. */
static int
conn_flush(struct conn *c)
{
	ssize_t	 n;

	while (c->outlen > 0) {
		n = write(c->fd, c->out, c->outlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			watch_out(c, 1);
			return 1;
		}
		if (n <= 0) {
			conn_close(c);
			return 0;
		}
		st.bytes_out += n;
		memmove(c->out, c->out + n, c->outlen - n);
		c->outlen -= n;
	}
	watch_out(c, 0);
	if (c->closing && c->pending == 0) {
		conn_close(c);
		return 0;
	}
	return 1;
}

static void
release(struct chunk *k)
{
	struct conn	*c = conns[k->fd];
	size_t		 need;

	if (c == NULL || c->gen != k->gen)
		return;
	c->pending--;
	need = c->outlen + k->len;
	if (need > c->outsize) {
		if ((c->out = realloc(c->out, need)) == NULL)
			err(1, NULL);
		c->outsize = need;
	}
	memcpy(c->out + c->outlen, k->data, k->len);
	c->outlen += k->len;
	(void)conn_flush(c);
}

static void
enqueue(struct conn *c, const void *data, size_t len, uint64_t due)
{
	struct chunk	*k;

	if (len == 0)
		return;
	if ((k = malloc(sizeof(*k) + len)) == NULL)
		err(1, NULL);
	k->next = NULL;
	k->due = due;
	k->fd = c->fd;
	k->gen = c->gen;
	k->len = len;
	memcpy(k->data, data, len);
	if (qtail != NULL)
		qtail->next = k;
	else
		qhead = k;
	qtail = k;
	c->pending++;
	st.chunks++;
	/* Chunks released together are one round trip for the client. */
	if (due != c->lastdue)
		st.rounds++;
	c->lastdue = due;
}

/* What TLS wrote into the memory BIO: one delayed chunk. */
static void
collect(struct conn *c, uint64_t due)
{
	char	 buf[READSIZE];
	int	 n;

	while ((n = BIO_read(c->wbio, buf, sizeof(buf))) > 0)
		enqueue(c, buf, n, due);
}

static void
reply(struct conn *c, uint64_t due, const char *text)
{
	st.replies++;
	if (c->ssl == NULL) {
		enqueue(c, text, strlen(text), due);
		return;
	}
	if (SSL_write(c->ssl, text, strlen(text)) <= 0)
		c->closing = 1;
	collect(c, due);
}

static void
start_tls(struct conn *c)
{
	struct host	*h = c->host;

	if ((c->ssl = SSL_new(sctx)) == NULL ||
	    (c->rbio = BIO_new(BIO_s_mem())) == NULL ||
	    (c->wbio = BIO_new(BIO_s_mem())) == NULL)
		ssl_fatal("SSL_new");
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_app_data(c->ssl, c);
	if (!SSL_use_cert_and_key(c->ssl, h->cert, h->key, h->chain, 1))
		ssl_fatal("SSL_use_cert_and_key");
	SSL_set_accept_state(c->ssl);
	st.starttls++;
}

/* One command line; 0 ends the reading of this input. */
static int
command(struct conn *c, const char *line, uint64_t due)
{
	char	 buf[256];

	if (strncasecmp(line, "EHLO", 4) == 0) {
		snprintf(buf, sizeof(buf), "250-%s\r\n%s"
		    "250-PIPELINING\r\n250 8BITMIME\r\n", c->host->name,
		    c->ssl == NULL ? "250-STARTTLS\r\n" : "");
		reply(c, due, buf);
	} else if (strncasecmp(line, "HELO", 4) == 0 ||
	    strncasecmp(line, "NOOP", 4) == 0 ||
	    strncasecmp(line, "RSET", 4) == 0)
		reply(c, due, "250 2.0.0 ok\r\n");
	else if (strncasecmp(line, "STARTTLS", 8) == 0 && c->ssl == NULL) {
		reply(c, due, "220 2.0.0 ready to start TLS\r\n");
		start_tls(c);
		return 0;	/* anything after it is not SMTP */
	} else if (strncasecmp(line, "QUIT", 4) == 0) {
		reply(c, due, "221 2.0.0 bye\r\n");
		if (c->ssl != NULL) {
			(void)SSL_shutdown(c->ssl);
			collect(c, due);
		}
		c->closing = 1;
		return 0;
	} else
		reply(c, due, "502 5.5.1 not in the bench\r\n");
	return 1;
}

static void
smtp_input(struct conn *c, const char *p, size_t len, uint64_t due)
{
	size_t	 i;

	for (i = 0; i < len && !c->closing; i++) {
		if (p[i] != '\n') {
			if (c->inlen < MAXLINE)
				c->in[c->inlen++] = p[i];
			continue;
		}
		if (c->inlen > 0 && c->in[c->inlen - 1] == '\r')
			c->inlen--;
		c->in[c->inlen] = '\0';
		c->inlen = 0;
		if (!command(c, c->in, due))
			return;
	}
}

static void
tls_input(struct conn *c, const char *p, size_t len, uint64_t due)
{
	char	 buf[READSIZE];
	int	 n, e;

	if (BIO_write(c->rbio, p, len) != (int)len)
		ssl_fatal("BIO_write");
	if (!c->handshaken) {
		n = SSL_do_handshake(c->ssl);
		if (n == 1) {
			c->handshaken = 1;
			st.handshakes++;
			count_kind(c);
		} else if (SSL_get_error(c->ssl, n) != SSL_ERROR_WANT_READ) {
			st.failed++;
			collect(c, due);	/* the alert */
			c->closing = 1;
			return;
		}
	}
	while (c->handshaken && !c->closing) {
		n = SSL_read(c->ssl, buf, sizeof(buf));
		if (n > 0) {
			smtp_input(c, buf, n, due);
			continue;
		}
		e = SSL_get_error(c->ssl, n);
		if (e != SSL_ERROR_WANT_READ)
			c->closing = 1;
		break;
	}
	collect(c, due);
}

static void
conn_read(struct conn *c)
{
	char		 buf[READSIZE];
	ssize_t		 n;
	uint64_t	 due;

	n = read(c->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	st.bytes_in += n;
	due = now_ns() + delay_ns;
	if (c->closing)
		return;
	if (c->ssl != NULL)
		tls_input(c, buf, n, due);
	else
		smtp_input(c, buf, n, due);
	if (c->closing && c->pending == 0 && c->outlen == 0)
		conn_close(c);
}

static void
conn_accept(int i)
{
	struct epoll_event ev;
	struct conn	*c;
	char		 banner[128];
	int		 fd;

	while ((fd = accept4(lfds[i], NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (fd >= maxfd) {
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL)
			err(1, NULL);
		c->fd = fd;
		c->gen = ++gen;
		c->host = &hosts[i];
		conns[fd] = c;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			err(1, "epoll_ctl");
		st.accepted++;
		snprintf(banner, sizeof(banner), "220 %s ESMTP benchsmtpd\r\n",
		    c->host->name);
		reply(c, now_ns() + delay_ns, banner);
	}
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		warn("accept");
}

static void
sig(int s)
{
	if (s == SIGUSR1)
		gotusr1 = 1;
	else
		gotterm = 1;
}

static void
setup_tls(int tickets)
{
	if ((sctx = SSL_CTX_new(TLS_server_method())) == NULL)
		ssl_fatal("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(sctx, TLS1_2_VERSION);
	SSL_CTX_set_msg_callback(sctx, msg_cb);
	SSL_CTX_set_client_hello_cb(sctx, hello_cb, NULL);
	/* No session cache: every check is a full handshake anyway. */
	SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF);
	if (!tickets) {
		SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(sctx, 0);
	}
}

static void
setup_listen(int port)
{
	struct sockaddr_in sin;
	struct epoll_event ev;
	int		 i, one = 1;

	if ((lfds = calloc(nhosts, sizeof(*lfds))) == NULL)
		err(1, NULL);
	for (i = 0; i < nhosts; i++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		if (inet_pton(AF_INET, hosts[i].addr, &sin.sin_addr) != 1)
			errx(1, "bad address %s", hosts[i].addr);
		if ((lfds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			err(1, "socket");
		setsockopt(lfds[i], SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(lfds[i], (struct sockaddr *)&sin, sizeof(sin)) == -1)
			err(1, "bind %s:%d", hosts[i].addr, port);
		if (listen(lfds[i], 128) == -1)
			err(1, "listen");
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = LISTEN_TAG | i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, lfds[i], &ev) == -1)
			err(1, "epoll_ctl");
	}
}

static void
loop(void)
{
	struct epoll_event evs[256];
	struct timespec	 ts, *tsp;
	struct chunk	*k;
	struct conn	*c;
	uint64_t	 t, u;
	sigset_t	 none;
	int		 i, n;

	sigemptyset(&none);
	while (!gotterm) {
		if (gotusr1) {
			gotusr1 = 0;
			write_stats();
		}
		t = now_ns();
		while ((k = qhead) != NULL && k->due <= t) {
			if ((qhead = k->next) == NULL)
				qtail = NULL;
			release(k);
			free(k);
		}
		tsp = NULL;
		if (qhead != NULL) {
			ts.tv_sec = (qhead->due - t) / 1000000000ULL;
			ts.tv_nsec = (qhead->due - t) % 1000000000ULL;
			tsp = &ts;
		}
		/* Signals are only let in while waiting. */
		n = epoll_pwait2(ep, evs, 256, tsp, &none);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_pwait2");
		}
		for (i = 0; i < n; i++) {
			u = evs[i].data.u64;
			if (u & LISTEN_TAG) {
				conn_accept(u & 0xffffffffU);
				continue;
			}
			if ((c = conns[u]) == NULL)
				continue;
			if (evs[i].events & EPOLLOUT) {
				if (!conn_flush(c))
					continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				conn_read(c);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	struct rlimit	 rl;
	struct in_addr	 ia;
	const char	*domain = "bench.test", *pidfile = NULL, *errstr;
	const char	*first = "127.10.0.1";
	sigset_t	 mask;
	FILE		*f;
	int		 ch, port = 25, tickets = 1;

	while ((ch = getopt(argc, argv, "D:d:n:N:p:P:w:x")) != -1) {
		switch (ch) {
		case 'D':
			domain = optarg;
			break;
		case 'd':
			delay_ns = strtonum(optarg, 0, 10000, &errstr) *
			    1000000ULL;
			if (errstr != NULL)
				errx(2, "delay %s: %s", optarg, errstr);
			break;
		case 'n':
			nhosts = strtonum(optarg, 1, 60000, &errstr);
			if (errstr != NULL)
				errx(2, "hosts %s: %s", optarg, errstr);
			break;
		case 'N':
			first = optarg;
			break;
		case 'p':
			port = strtonum(optarg, 1, 65535, &errstr);
			if (errstr != NULL)
				errx(2, "port %s: %s", optarg, errstr);
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'w':
			dir = optarg;
			break;
		case 'x':
			tickets = 0;
			break;
		default:
			usage();
		}
	}
	if (nhosts == 0 || optind != argc)
		usage();
	if (inet_pton(AF_INET, first, &ia) != 1)
		errx(2, "bad address %s", first);

	/* A listening socket per host, and the connections. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			err(1, "setrlimit");
	}
	maxfd = rl.rlim_cur > 1000000 ? 1000000 : rl.rlim_cur;
	if (maxfd < nhosts + 64)
		errx(1, "%d descriptors are too few for %d hosts", maxfd,
		    nhosts);
	if ((conns = calloc(maxfd, sizeof(*conns))) == NULL)
		err(1, NULL);

	make_hosts(domain, ntohl(ia.s_addr), port);
	setup_tls(tickets);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	setup_listen(port);

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	write_stats();
	if (pidfile != NULL) {
		if ((f = fopen(pidfile, "w")) == NULL)
			err(1, "%s", pidfile);
		fprintf(f, "%ld\n", (long)getpid());
		if (fclose(f) == EOF)
			err(1, "%s", pidfile);
	}
	loop();
	write_stats();
	return 0;
}
