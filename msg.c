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
 * The message table: who may send each message type, when, and
 * whether anything may follow it.  The parent (on_message() in
 * report.c, with one on_*() handler a type) and the frame fuzzer
 * (regress/fuzz/fuzz_frame.c) both read it; the fields of each type
 * are listed at enum msg_type in smtpdane.h.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

#include "smtpdane.h"

#define STAGE(s)	(1U << (s))
#define ANY_STAGE	((1U << ST__MAX) - 1)
#define CHECK_STAGES	(STAGE(ST_TLSA) | STAGE(ST_CONNECT) | \
			 STAGE(ST_BANNER) | STAGE(ST_EHLO) | \
			 STAGE(ST_STARTTLS) | STAGE(ST_HANDSHAKE) | \
			 STAGE(ST_EHLO_TLS) | STAGE(ST_VERIFY) | \
			 STAGE(ST_QUIT) | STAGE(ST_DONE) | STAGE(ST_START) | \
			 STAGE(ST_NS))
#define FROM_DC		(MSG_FROM_CHECK | MSG_FROM_VERIFY)

/*
 * "final" messages end a child's report: nothing may follow them, and
 * a child that sent one is never judged as timed out or crashed
 * (unless its sandbox killed it).  "writer" names where a child
 * writes it; its reader is msg_handlers[] in report.c, one on_*()
 * function a type.
 */
const struct msg_desc msg_descs[MSG__MAX] = {
	[MSG_STAGE] =	{ "stage", MSG_FROM_ANY, ANY_STAGE, 0,
			  "send_stage() in smtp.c, discover_start()" },
	[MSG_DETAIL] =	{ "detail", MSG_FROM_ANY, ANY_STAGE, 0,
			  "msg_send_text() in smtp.c, emit_text()" },
	[MSG_WARN] =	{ "warning", MSG_FROM_ANY, ANY_STAGE, 0,
			  "msg_send_text() in smtp.c, emit_text()" },
	[MSG_TLSA] =	{ "TLSA outcome", FROM_DC, STAGE(ST_VERIFY), 0,
			  "send_outcomes() in smtp.c" },
	[MSG_CERT] =	{ "certificate", FROM_DC, STAGE(ST_VERIFY), 0,
			  "send_certs() in smtp.c" },
	[MSG_TLS] =	{ "TLS facts", MSG_FROM_CHECK, STAGE(ST_HANDSHAKE), 0,
			  "tls_start() in smtp.c" },
	[MSG_RESULT] =	{ "result", FROM_DC, CHECK_STAGES, 1,
			  "finish(), verify_and_report() in smtp.c" },
	[MSG_BASE] =	{ "base domain", MSG_FROM_CHECK, STAGE(ST_TLSA), 0,
			  "tlsa_lookup() in smtp.c" },
	[MSG_HOST] =	{ "host", MSG_FROM_DISCOVER, STAGE(ST_DISCOVER), 0,
			  "send_host() in discover.c" },
	[MSG_ADDR] =	{ "address", MSG_FROM_DISCOVER, STAGE(ST_DISCOVER), 0,
			  "send_addresses() in discover.c" },
	[MSG_VERDICT] =	{ "verdict", MSG_FROM_DISCOVER, STAGE(ST_DISCOVER), 0,
			  "verdict() in discover.c" },
	[MSG_SANDBOX] =	{ "sandbox violation", MSG_FROM_ANY, ANY_STAGE, 1,
			  "sb_sigsys() in sandbox_linux.c" },
	[MSG_END] =	{ "end", MSG_FROM_DISCOVER, STAGE(ST_DISCOVER), 1,
			  "disc_flush() in discover.c" },
	[MSG_CHAIN] =	{ "chain", MSG_FROM_CHECK, STAGE(ST_VERIFY), 0,
			  "check_child() in smtp.c" },
	[MSG_STAGED] =	{ "staged judgment", FROM_DC, STAGE(ST_VERIFY), 0,
			  "judge_staged() in smtp.c" },
	[MSG_PROBE] =	{ "key probe", FROM_DC, STAGE(ST_VERIFY), 0,
			  "judge_probes() in smtp.c" },
	[MSG_DNSSEC] =	{ "DNSSEC state", MSG_FROM_DISCOVER, STAGE(ST_DISCOVER),
			  0, "send_dnssec() in discover.c" },
	[MSG_SIGS] =	{ "signature times", MSG_FROM_DISCOVER | MSG_FROM_CHECK,
			  STAGE(ST_DISCOVER) | STAGE(ST_TLSA), 0,
			  "send_sigs() in discover.c, tlsa_lookup() in smtp.c; "
			  "msg_put_sigs() in sigs.c" },
	[MSG_OCSP] =	{ "OCSP staple", MSG_FROM_CHECK, STAGE(ST_VERIFY), 0,
			  "judge_staple() in smtp.c" },
	[MSG_NS] =	{ "nameserver comparison", MSG_FROM_CHECK, STAGE(ST_NS),
			  0, "send_servers() in allns.c" },
	[MSG_NS_VERDICT] = { "nameserver verdict", MSG_FROM_CHECK,
			  STAGE(ST_NS), 0, "allns_compare() in allns.c" },
};

const char *
msg_sender_name(int from)
{
	switch (from) {
	case MSG_FROM_DISCOVER:
		return "discovery";
	case MSG_FROM_VERIFY:
		return "verify";
	case MSG_FROM_CHECK:
		return "check";
	default:
		return "unknown";
	}
}

/*
 * May a child of kind "from" (one MSG_FROM_* bit) send "type" in stage
 * "st"?  NULL if so, else why not, written into why.
 */
const char *
msg_check(uint32_t type, int from, enum stage st, char *why, size_t whylen)
{
	const struct msg_desc	*m;

	if (type == 0 || type >= MSG__MAX || msg_descs[type].name == NULL) {
		snprintf(why, whylen, "unknown message type %u", type);
		return why;
	}
	m = &msg_descs[type];
	if ((unsigned)st >= ST__MAX) {
		snprintf(why, whylen, "%s message in stage %d", m->name,
		    (int)st);
		return why;
	}
	if ((m->from & from) == 0 || (m->stages & STAGE(st)) == 0) {
		snprintf(why, whylen, "%s message from a %s child during %s",
		    m->name, msg_sender_name(from), stage_name(st));
		return why;
	}
	return NULL;
}
