package io.sidecarinitializer.testing;

/** Byte arrays for tests that build inputs byte by byte (BOMs, bytes that are not UTF-8). */
public final class Bytes {
    private Bytes() {}

    /** The parts, one after another. */
    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
