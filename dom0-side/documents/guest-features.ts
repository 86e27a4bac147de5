import { isIpv4 } from '../../shared/net/ipv4';
import { netmaskPrefix, prefixToNetmask } from '../../shared/net/ipv4-netmask';

/**
 * The features of a qube that change its own network document, read the way
 * qubesd and the agent scripts read them. Feature names are Qubes's own:
 * `service.*` (qvm-service, qubes/ext/services.py), `net.fake-*`
 * (qubes/vm/mix/net.py) and `vm-config.net-mtu` (the name Qubes proposes for
 * an MTU setting: qubes-issues#10758; 4.4 has none).
 */
export interface GuestFeatures {
  readonly disableDefaultRoute: boolean;
  readonly disableDnsServer: boolean;
  readonly networkManager: boolean;
  readonly fakeIp?: string;
  readonly fakeGateway?: string;
  /** Dotted quad; Qubes also takes a prefix length 0-24, which is converted. */
  readonly fakeNetmask?: string;
  readonly mtu?: number;
}

export const SERVICE_DISABLE_DEFAULT_ROUTE = 'service.disable-default-route';
export const SERVICE_DISABLE_DNS_SERVER = 'service.disable-dns-server';
export const SERVICE_NETWORK_MANAGER = 'service.network-manager';
export const FAKE_IP = 'net.fake-ip';
export const FAKE_GATEWAY = 'net.fake-gateway';
export const FAKE_NETMASK = 'net.fake-netmask';
export const NET_MTU = 'vm-config.net-mtu';
/** Linux's floor for IPv4 is 68, but qnet's document takes 576 (the IPv4 minimum reassembly size) and up. */
export const MIN_MTU = 576;
export const MAX_MTU = 65535;

type Features = Readonly<Record<string, string>>;

/**
 * qubes/ext/services.py writes `str(int(bool(value)))`: any non-empty string
 * enables a service (even "0"), the empty string (`qvm-service NAME off`)
 * disables it.
 */
const serviceOn = (f: Features, name: string) => Object.prototype.hasOwnProperty.call(f, name) && f[name] !== '';

const own = (f: Features, name: string) => (Object.prototype.hasOwnProperty.call(f, name) ? f[name] : undefined);

/** Why a value of one of these features is refused, or undefined when it is good (qubesd's feature-pre-set checks). */
export function guestFeatureError(name: string, value: string): string | undefined {
  switch (name) {
    case FAKE_IP:
    case FAKE_GATEWAY:
      return value === '' || isIpv4(value) ? undefined : 'expected an IPv4 address';
    case FAKE_NETMASK:
      return value === '' || parseFakeNetmask(value) !== undefined
        ? undefined
        : 'expected a netmask such as 255.255.255.0 or a prefix length 0-24';
    case NET_MTU:
      return value === '' || parseMtu(value) !== undefined ? undefined : `expected an MTU ${MIN_MTU}-${MAX_MTU}`;
    default:
      return undefined;
  }
}

/** qubesd accepts digits 0-24 (a prefix length) or a dotted quad; the agent is given the dotted form. */
function parseFakeNetmask(value: string): string | undefined {
  if (/^[0-9]{1,2}$/.test(value)) {
    const prefix = Number(value);
    return prefix <= 24 ? prefixToNetmask(prefix) : undefined;
  }
  return netmaskPrefix(value) !== undefined ? value : undefined;
}

function parseMtu(value: string): number | undefined {
  if (!/^[1-9][0-9]{2,4}$/.test(value)) return undefined;
  const mtu = Number(value);
  return mtu >= MIN_MTU && mtu <= MAX_MTU ? mtu : undefined;
}

/**
 * The qube's guest features. A value qubesd would have refused (possible in a
 * hand-edited store) counts as unset: the documents stay valid and the qube
 * keeps its real addresses. Empty strings are unset too (Python's `a or b`).
 */
export function guestFeatures(features: Features): GuestFeatures {
  const fakeIp = own(features, FAKE_IP);
  const fakeGateway = own(features, FAKE_GATEWAY);
  const fakeNetmask = own(features, FAKE_NETMASK);
  const mtu = own(features, NET_MTU);
  const netmask = fakeNetmask ? parseFakeNetmask(fakeNetmask) : undefined;
  const mtuValue = mtu ? parseMtu(mtu) : undefined;
  return {
    disableDefaultRoute: serviceOn(features, SERVICE_DISABLE_DEFAULT_ROUTE),
    disableDnsServer: serviceOn(features, SERVICE_DISABLE_DNS_SERVER),
    networkManager: serviceOn(features, SERVICE_NETWORK_MANAGER),
    ...(fakeIp && isIpv4(fakeIp) ? { fakeIp } : {}),
    ...(fakeGateway && isIpv4(fakeGateway) ? { fakeGateway } : {}),
    ...(netmask ? { fakeNetmask: netmask } : {}),
    ...(mtuValue !== undefined ? { mtu: mtuValue } : {}),
  };
}

export function sameGuestFeatures(a: GuestFeatures, b: GuestFeatures): boolean {
  return (
    a.disableDefaultRoute === b.disableDefaultRoute &&
    a.disableDnsServer === b.disableDnsServer &&
    a.networkManager === b.networkManager &&
    a.fakeIp === b.fakeIp &&
    a.fakeGateway === b.fakeGateway &&
    a.fakeNetmask === b.fakeNetmask &&
    a.mtu === b.mtu
  );
}
