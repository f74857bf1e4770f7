/*
 * map.js - the vans and today's tracks on a Leaflet map.  Tiles are
 * optional: with none configured the map is a plain dark background with a
 * grid of latitude/longitude lines, the vans and their tracks (nothing is
 * fetched from anywhere).
 */
(function (root) {
	'use strict';
	var L = root.L;
	var COLOURS = ['#4fc3f7', '#ffb74d', '#aed581', '#ba68c8', '#4db6ac', '#f06292', '#fff176', '#90a4ae'];

	/* a light graticule so a map without tiles still shows scale and direction */
	var Grid = L.Layer.extend({
		onAdd: function (map) {
			this._map = map;
			this._g = L.layerGroup().addTo(map);
			map.on('moveend zoomend', this._draw, this);
			this._draw();
		},
		onRemove: function (map) {
			map.off('moveend zoomend', this._draw, this);
			this._g.remove();
		},
		_draw: function () {
			var b = this._map.getBounds();
			var span = Math.max(b.getNorth() - b.getSouth(), (b.getEast() - b.getWest()) / 2);
			var steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20];
			var step = steps[steps.length - 1];
			for (var i = 0; i < steps.length; i++)
				if (span / steps[i] <= 8) { step = steps[i]; break; }
			this._g.clearLayers();
			var style = { color: '#2b3a4a', weight: 1, interactive: false };
			var lat0 = Math.floor(b.getSouth() / step) * step, lon0 = Math.floor(b.getWest() / step) * step;
			for (var la = lat0; la <= b.getNorth() + step; la += step)
				this._g.addLayer(L.polyline([[la, b.getWest() - step], [la, b.getEast() + step]], style));
			for (var lo = lon0; lo <= b.getEast() + step; lo += step)
				this._g.addLayer(L.polyline([[b.getSouth() - step, lo], [b.getNorth() + step, lo]], style));
		}
	});

	function VanMap(el, cfg) {
		this.map = L.map(el, { zoomControl: true, attributionControl: !!cfg.tiles, preferCanvas: false })
			.setView(cfg.center || [53.8, -1.55], cfg.zoom || 13);
		this.tiles = null;
		if (cfg.tiles) {
			this.tiles = L.tileLayer(cfg.tiles, { maxZoom: cfg.tilesMaxZoom || 19, attribution: cfg.tilesAttribution || '' });
			this.tiles.addTo(this.map);
		} else {
			new Grid().addTo(this.map);
		}
		L.control.scale({ imperial: false }).addTo(this.map);
		this.vans = {};
		this.colourN = 0;
		this.fitted = false;
		this.follow = null;
		/* fit the view to every van as they appear, until the operator moves the map */
		this.userMoved = false;
		var self = this;
		var moved = function () { self.userMoved = true; };
		this.map.on('dragstart', moved);
		el.addEventListener('wheel', moved, { passive: true });
		el.addEventListener('dblclick', moved);
		this.map.zoomControl.getContainer().addEventListener('click', moved);
	}

	VanMap.prototype.colour = function (unit) {
		var v = this.vans[unit];
		return v ? v.colour : COLOURS[0];
	};

	VanMap.prototype.ensure = function (unit, onclick) {
		var v = this.vans[unit];
		if (v)
			return v;
		var colour = COLOURS[this.colourN++ % COLOURS.length];
		v = this.vans[unit] = {
			colour: colour,
			track: L.polyline([], { color: colour, weight: 3, opacity: 0.75, interactive: false }).addTo(this.map),
			marker: null, pos: null, label: '', cls: ''
		};
		v.onclick = onclick;
		return v;
	};

	/* update(unit, {label, lat, lon, track: [[lat, lon], ...], cls: 'emergency'|'offline'|'alert'|''}) */
	VanMap.prototype.update = function (unit, d, onclick) {
		var v = this.ensure(unit, onclick);
		if (d.track)
			v.track.setLatLngs(d.track);
		if (d.lat === null || d.lat === undefined)
			return;
		var pos = [d.lat, d.lon];
		if (!v.marker || v.cls !== d.cls || v.label !== d.label) {
			if (v.marker)
				v.marker.remove();
			var html = document.createElement('div');
			html.className = 'van-marker ' + (d.cls || '');
			html.style.setProperty('--c', v.colour);
			var dot = document.createElement('span');
			dot.className = 'dot';
			var lab = document.createElement('span');
			lab.className = 'lab';
			lab.textContent = d.label;
			html.appendChild(dot);
			html.appendChild(lab);
			v.marker = L.marker(pos, {
				icon: L.divIcon({ html: html, className: 'van-icon', iconSize: [18, 18], iconAnchor: [9, 9] }),
				keyboard: false, zIndexOffset: d.cls === 'emergency' ? 1000 : 0
			}).addTo(this.map);
			if (v.onclick)
				v.marker.on('click', v.onclick);
			v.cls = d.cls;
			v.label = d.label;
		} else {
			v.marker.setLatLng(pos);
		}
		var first = !v.pos;
		v.pos = pos;
		if (!this.fitted || (first && !this.userMoved))
			this.fit();
		if (this.follow === unit)
			this.map.panTo(pos, { animate: false });
	};

	VanMap.prototype.fit = function () {
		var pts = [];
		for (var u in this.vans)
			if (this.vans[u].pos)
				pts.push(this.vans[u].pos);
		if (!pts.length)
			return;
		this.fitted = true;
		if (pts.length === 1)
			this.map.setView(pts[0], Math.max(this.map.getZoom(), 14), { animate: false });
		else
			this.map.fitBounds(L.latLngBounds(pts).pad(0.3), { animate: false, maxZoom: 16 });
	};

	VanMap.prototype.show = function (unit) {
		var v = this.vans[unit];
		this.userMoved = true;
		if (v && v.pos)
			this.map.setView(v.pos, Math.max(this.map.getZoom(), 15), { animate: false });
	};

	VanMap.prototype.resize = function () {
		this.map.invalidateSize();
	};

	root.VanMap = VanMap;
})(window);
