// The IPv4 helper the schemas and checks share: the forms the config accepts, and the edges of a
// network that decide whether a node is covered by nodes.subnet in NO_PROXY.
import { describe, expect, it } from "vitest";
import { hostNetworks, inNetwork, isIpv4, isLoopbackIpv4, isNetworkCidr, octetWildcards } from "../../components/ipv4";

describe("ipv4", () => {
  it("accepts dotted quads only, as NO_PROXY and daemon.json write them", () => {
    expect(["192.0.2.1", "0.0.0.0", "255.255.255.255"].filter(isIpv4)).toHaveLength(3);
    // inet_aton's other forms name a real address but would reach the nodes' files as written.
    expect(["192.0.2", "3221225985", "0xc0.0.2.1", "192.0.2.01", "192.0.2.256", " 192.0.2.1"].filter(isIpv4)).toEqual([]);
  });

  it("takes a CIDR only as its network address and prefix, written plainly", () => {
    expect(["10.244.0.0/16", "10.96.0.0/12", "192.0.2.128/25", "0.0.0.0/0", "192.0.2.1/32"].filter(isNetworkCidr)).toHaveLength(5);
    expect(["10.244.0.1/16", "10.96.0.0/10", "10.0.0.0/33", "10.0.0.0/08", "10/8", "10.0.0.0", "10.0.0.0/"].filter(isNetworkCidr)).toEqual(
      [],
    );
  });

  it("places addresses in a network up to its last address and no further", () => {
    const subnet = "192.0.2.0/24";
    expect(["192.0.2.0", "192.0.2.255"].every((a) => inNetwork(a, subnet))).toBe(true);
    expect(["192.0.1.255", "192.0.3.0", "gpu-1.example.com"].some((a) => inNetwork(a, subnet))).toBe(false);
  });

  it("counts all of 127.0.0.0/8 as loopback", () => {
    expect(["127.0.0.1", "127.0.1.1", "127.255.255.254"].every(isLoopbackIpv4)).toBe(true);
    expect(["126.255.255.255", "128.0.0.1", "localhost"].some(isLoopbackIpv4)).toBe(false);
  });
});

describe("octetWildcards", () => {
  it.each([
    ["10.244.0.0/16", ["10.244.*"]],
    ["10.0.0.0/8", ["10.*"]],
    ["192.0.2.10/32", ["192.0.2.10"]],
    ["0.0.0.0/0", ["*"]],
    ["192.168.4.0/22", ["192.168.4.*", "192.168.5.*", "192.168.6.*", "192.168.7.*"]],
  ])("covers %s exactly", (cidr, expected) => {
    expect(octetWildcards(cidr)).toEqual(expected);
  });

  it("expands a prefix between octets into one pattern per block: 10.96.0.0/12 is 10.96.* to 10.111.*", () => {
    const patterns = octetWildcards("10.96.0.0/12");
    expect(patterns).toHaveLength(16);
    expect([patterns[0], patterns[15]]).toEqual(["10.96.*", "10.111.*"]);
  });
});

describe("hostNetworks", () => {
  it("is the subnet when there is one, else each address as a /32, and unknown with a host known by name or no host", () => {
    expect(hostNetworks("192.0.2.0/24", ["192.0.2.21", "gpu-1.example.com"])).toEqual(["192.0.2.0/24"]);
    expect(hostNetworks(undefined, ["192.0.2.21", "192.0.2.22", "192.0.2.21"])).toEqual(["192.0.2.21/32", "192.0.2.22/32"]);
    expect(hostNetworks(undefined, ["192.0.2.21", "gpu-2.example.com"])).toBeUndefined();
    expect(hostNetworks(undefined, [])).toBeUndefined();
  });
});
