package io.fieldlink.config;

/** A device a pool may connect to: its id in the pool and its TCP address. */
public record DeviceAddress(String id, String host, int port) {

    /** {@code host:port}, with IPv6 literals in brackets. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return id + "=" + address();
    }
}
