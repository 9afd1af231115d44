import { describe, expect, it } from "vitest";
import { dockerMayBeAvailable } from "../../src/cli/demo/redis-container.js";

describe("Docker discovery (demo and test setup share it)", () => {
  it("tries Docker only with DOCKER_HOST or the default engine socket", () => {
    const none = () => false;
    expect(dockerMayBeAvailable({}, none)).toBe(false);
    expect(dockerMayBeAvailable({ DOCKER_HOST: "" }, none)).toBe(false);
    expect(dockerMayBeAvailable({ DOCKER_HOST: "tcp://127.0.0.1:2375" }, none)).toBe(true);
    expect(dockerMayBeAvailable({}, (path) => path === "/var/run/docker.sock")).toBe(true);
  });
});
