// The module `provisioning` of a device build: the issuer's provision-terminal file
// (format icc-terminal-config/1), checked on the build machine and compiled into the image as a
// module whose default export is the file's JSON. hal/esp32/main.ts imports it dynamically (a
// build without it shows "Not provisioned") and hands it to configFromProvisioning(), which checks
// every field again; so its type here is only `unknown`.
declare module 'provisioning' {
  const provisioning: unknown;
  export default provisioning;
}
