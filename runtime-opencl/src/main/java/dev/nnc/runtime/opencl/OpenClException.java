package dev.nnc.runtime.opencl;

/** No usable OpenCL device, or a program or launch the device refused; the message says what to do. */
public final class OpenClException extends Exception {

    public OpenClException(String message) {
        super(message);
    }

    public OpenClException(String message, Throwable cause) {
        super(message, cause);
    }
}
