/** The qubes the scripted scenario plays with; the demo always runs on the default topology. */
export const CAST = {
  net: 'sys-net',
  firewall: 'sys-firewall',
  work: 'work',
  personal: 'personal',
  disposable: 'disp1234',
  vpn: 'sys-vpn',
  vpnApp: 'vpn-app',
} as const;
