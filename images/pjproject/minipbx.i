/*
 * What the minipbx engine adds to the pjsua2 binding (written by the minipbx
 * project; build_binding.py copies it beside pjsua2.i and includes it there).
 *
 * pjsua2 hands Python an incoming request only as its raw text
 * (SipRxData.wholeMsg). Reading identities out of that text by hand is how a
 * folded header once passed for a trust header: pjsip has already parsed the
 * message, so these functions read pjsip's parsed headers and URIs instead.
 * They are valid only inside the callback that received the SipRxData.
 *
 * The constants report the limits this binding was compiled with, which pjsua
 * otherwise enforces silently (it clamps uaConfig.maxCalls).
 */

%{
#include <pjsip.h>
#include <pjsip-ua/sip_replaces.h>
#include <pjlib-util/string.h>
#include <pjsua-lib/pjsua.h>

namespace minipbx {

static pjsip_msg *rx_msg(const pj::SipRxData &rdata)
{
    pjsip_rx_data *rx = static_cast<pjsip_rx_data *>(rdata.pjRxData);
    return rx ? rx->msg_info.msg : NULL;
}

static std::string uri_user(const void *uri)
{
    if (!uri)
        return "";
    const pjsip_uri *inner = static_cast<const pjsip_uri *>(
        pjsip_uri_get_uri(static_cast<const pjsip_uri *>(uri)));
    if (PJSIP_URI_SCHEME_IS_SIP(inner) || PJSIP_URI_SCHEME_IS_SIPS(inner)) {
        const pjsip_sip_uri *sip = reinterpret_cast<const pjsip_sip_uri *>(inner);
        return std::string(sip->user.ptr, sip->user.slen);
    }
    if (PJSIP_URI_SCHEME_IS_TEL(inner)) {
        const pjsip_tel_uri *tel = reinterpret_cast<const pjsip_tel_uri *>(inner);
        return std::string(tel->number.ptr, tel->number.slen);
    }
    return "";
}

/* Every value of the named header, in order; compact names count as the full
 * name (pjsip stores both). A folded line belongs to the header it continues. */
std::vector<std::string> rxHeaderValues(const pj::SipRxData &rdata, const std::string &name)
{
    std::vector<std::string> values;
    pjsip_msg *msg = rx_msg(rdata);
    if (!msg)
        return values;
    pj_str_t hname;
    pj_cstr(&hname, name.c_str());
    char buf[PJSIP_MAX_PKT_LEN];
    const void *start = NULL;
    const pjsip_hdr *hdr;
    while ((hdr = static_cast<const pjsip_hdr *>(
                pjsip_msg_find_hdr_by_name(msg, &hname, start))) != NULL) {
        int len = pjsip_hdr_print_on(const_cast<pjsip_hdr *>(hdr), buf, sizeof(buf));
        pj_ssize_t skip = hdr->name.slen + 2; /* pjsip prints "Name: value" */
        if (len > skip)
            values.push_back(std::string(buf + skip, len - skip));
        else
            values.push_back("");
        start = hdr->next;
    }
    return values;
}

/* The user of the Request-URI (a sip:/sips: user or a tel: number). */
std::string rxRequestUser(const pj::SipRxData &rdata)
{
    pjsip_msg *msg = rx_msg(rdata);
    if (!msg || msg->type != PJSIP_REQUEST_MSG)
        return "";
    return uri_user(msg->line.req.uri);
}

/* The user of the Request-URI of a request the engine sent (SipTxData). */
std::string txRequestUser(const pj::SipTxData &tdata)
{
    pjsip_tx_data *tx = static_cast<pjsip_tx_data *>(tdata.pjTxData);
    if (!tx || !tx->msg || tx->msg->type != PJSIP_REQUEST_MSG)
        return "";
    return uri_user(tx->msg->line.req.uri);
}

/* The user of the From URI. */
std::string rxFromUser(const pj::SipRxData &rdata)
{
    pjsip_rx_data *rx = static_cast<pjsip_rx_data *>(rdata.pjRxData);
    return rx && rx->msg_info.from ? uri_user(rx->msg_info.from->uri) : "";
}

/* The user of the To URI. */
std::string rxToUser(const pj::SipRxData &rdata)
{
    pjsip_rx_data *rx = static_cast<pjsip_rx_data *>(rdata.pjRxData);
    return rx && rx->msg_info.to ? uri_user(rx->msg_info.to->uri) : "";
}

/* The user of a URI pjsip printed (CallInfo.remoteUri and the like), parsed by
 * pjsip again: "" when it is not a URI with a user. */
std::string uriUser(const std::string &text)
{
    pj_pool_t *pool = pjsua_pool_create("minipbx-uri", 512, 512);
    if (!pool)
        return "";
    std::vector<char> buf(text.begin(), text.end());
    buf.push_back('\0');
    pjsip_uri *uri = pjsip_parse_uri(pool, buf.data(), text.size(), PJSIP_PARSE_URI_AS_NAMEADDR);
    std::string user = uri_user(uri);
    pj_pool_release(pool);
    return user;
}

/* The Call-ID of the Replaces header a URI carries as a header parameter (the
 * Refer-To of an attended transfer: <sip:103@pbx?Replaces=...>), unescaped
 * and parsed as a Replaces header by pjsip: "" when there is none. */
std::string uriReplacesCallId(const std::string &text)
{
    pj_pool_t *pool = pjsua_pool_create("minipbx-replaces", 512, 512);
    if (!pool)
        return "";
    std::vector<char> buf(text.begin(), text.end());
    buf.push_back('\0');
    std::string call_id;
    pjsip_uri *uri = pjsip_parse_uri(pool, buf.data(), text.size(), PJSIP_PARSE_URI_AS_NAMEADDR);
    const pjsip_uri *inner = uri ? static_cast<const pjsip_uri *>(pjsip_uri_get_uri(uri)) : NULL;
    if (inner && (PJSIP_URI_SCHEME_IS_SIP(inner) || PJSIP_URI_SCHEME_IS_SIPS(inner))) {
        const pjsip_sip_uri *sip = reinterpret_cast<const pjsip_sip_uri *>(inner);
        pj_str_t name = pj_str(const_cast<char *>("Replaces"));
        const pjsip_param *param = pjsip_param_cfind(&sip->header_param, &name);
        if (param) {
            pj_str_t value = pj_str_unescape(pool, &param->value);
            std::vector<char> hvalue(value.ptr, value.ptr + value.slen);
            hvalue.push_back('\0');
            const pjsip_replaces_hdr *hdr = static_cast<const pjsip_replaces_hdr *>(
                pjsip_parse_hdr(pool, &name, hvalue.data(), value.slen, NULL));
            if (hdr)
                call_id.assign(hdr->call_id.ptr, hdr->call_id.slen);
        }
    }
    pj_pool_release(pool);
    return call_id;
}

} /* namespace minipbx */
%}

namespace minipbx {
std::vector<std::string> rxHeaderValues(const pj::SipRxData &rdata, const std::string &name);
std::string rxRequestUser(const pj::SipRxData &rdata);
std::string txRequestUser(const pj::SipTxData &tdata);
std::string rxFromUser(const pj::SipRxData &rdata);
std::string rxToUser(const pj::SipRxData &rdata);
std::string uriUser(const std::string &text);
std::string uriReplacesCallId(const std::string &text);
}

%constant int MINIPBX_MAX_CALLS = PJSUA_MAX_CALLS;
%constant int MINIPBX_MAX_ACC = PJSUA_MAX_ACC;
%constant int MINIPBX_MAX_PLAYERS = PJSUA_MAX_PLAYERS;
%constant int MINIPBX_MAX_RECORDERS = PJSUA_MAX_RECORDERS;
%constant int MINIPBX_MAX_CONF_PORTS = PJSUA_MAX_CONF_PORTS;
%constant int MINIPBX_IOQUEUE_MAX_HANDLES = PJ_IOQUEUE_MAX_HANDLES;
