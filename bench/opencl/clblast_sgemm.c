// CLBlast's SGEMM on the first OpenCL device nnc would pick (the first GPU, else the first device), timed the way
// GpuCheck times nnc's: C = A·B, row-major, N×N×N, the best of several runs after a warm-up.
// Build: gcc -O2 -o clblast_sgemm clblast_sgemm.c -lclblast -lOpenCL   (Debian: libclblast-dev ocl-icd-opencl-dev)
// Run:   ./clblast_sgemm N   -> prints "clblast_sgemm N GFLOPS DEVICE"
#define CL_TARGET_OPENCL_VERSION 120
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static cl_device_id pick(void) {
    cl_platform_id platforms[16];
    cl_uint count = 0;
    if (clGetPlatformIDs(16, platforms, &count) != CL_SUCCESS || count == 0) return NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (cl_uint p = 0; p < count; p++) {
            cl_device_id device;
            cl_uint n = 0;
            if (clGetDeviceIDs(platforms[p], pass == 0 ? CL_DEVICE_TYPE_GPU : CL_DEVICE_TYPE_ALL, 1, &device, &n) == CL_SUCCESS && n > 0) return device;
        }
    }
    return NULL;
}

int main(int argc, char** argv) {
    const size_t n = argc > 1 ? (size_t) atol(argv[1]) : 1024;
    cl_device_id device = pick();
    if (device == NULL) {
        fprintf(stderr, "clblast_sgemm: no OpenCL device\n");
        return 2;
    }
    char name[256];
    clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL);
    cl_int err;
    cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    cl_command_queue queue = clCreateCommandQueue(context, device, 0, &err);
    const size_t bytes = n * n * sizeof(float);
    float* host = malloc(bytes);
    for (size_t i = 0; i < n * n; i++) host[i] = (float) (i % 7) * 0.125f;
    cl_mem a = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, host, &err);
    cl_mem b = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, host, &err);
    cl_mem c = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    double best = 1e30;
    for (int run = 0; run < 6; run++) {
        cl_event event;
        double start = now();
        CLBlastStatusCode status = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, n, n, n, 1.0f,
                                                a, 0, n, b, 0, n, 0.0f, c, 0, n, &queue, &event);
        if (status != CLBlastSuccess) {
            fprintf(stderr, "clblast_sgemm: CLBlastSgemm failed with status %d\n", (int) status);
            return 1;
        }
        clWaitForEvents(1, &event);
        clReleaseEvent(event);
        double seconds = now() - start;
        if (run > 0 && seconds < best) best = seconds;   // the first run includes CLBlast's kernel compilation
    }
    printf("clblast_sgemm %zu %.2f %s\n", n, 2.0 * n * n * n / best / 1e9, name);
    clReleaseMemObject(a);
    clReleaseMemObject(b);
    clReleaseMemObject(c);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    free(host);
    return 0;
}
