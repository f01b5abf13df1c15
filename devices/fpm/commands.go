package fpm

import (
	"context"
	"errors"
	"fmt"
)

// VerifyPassword sends VfyPwd: a module with a password refuses every other
// command until it has been verified. A wrong one is ErrBadPassword.
func (m *Module) VerifyPassword(ctx context.Context, password uint32) error {
	_, err := m.do(ctx, VfyPwd{Password: password})
	return err
}

// Handshake verifies Config.Password and reads the module's parameters; the
// data packet size in them is used by Download from then on. It is how a
// driver finds out that a module is there and answering.
func (m *Module) Handshake(ctx context.Context) (SysParams, error) {
	if err := m.VerifyPassword(ctx, m.password); err != nil {
		return SysParams{}, err
	}
	return m.SysParams(ctx)
}

// SysParams sends ReadSysPara and remembers the module's data packet size
// for Download.
func (m *Module) SysParams(ctx context.Context) (SysParams, error) {
	if err := m.begin(ctx, InsReadSysPara); err != nil {
		return SysParams{}, err
	}
	defer m.end()
	r, err := m.roundTrip(ctx, ReadSysPara{})
	if err != nil {
		return SysParams{}, err
	}
	sp := r.(SysParams)
	m.packetSize = sp.PacketSize
	return sp, nil
}

// Capture sends GenImg: the finger on the sensor goes into the image
// buffer. No finger is ErrNoFinger.
func (m *Module) Capture(ctx context.Context) error {
	_, err := m.do(ctx, GenImg{})
	return err
}

// ToBuffer sends Img2Tz: the image buffer becomes a char file in buf. A
// poor image is ErrBadImage.
func (m *Module) ToBuffer(ctx context.Context, buf Buffer) error {
	_, err := m.do(ctx, Img2Tz{Buffer: buf})
	return err
}

// Match sends Match: compares char buffers 1 and 2. Different fingers are
// ErrNoMatch.
func (m *Module) Match(ctx context.Context) (score int, err error) {
	r, err := m.do(ctx, Match{})
	if err != nil {
		return 0, err
	}
	return int(r.(MatchReply).Score), nil
}

// Search sends Search: looks for buf among count library pages from start
// on and returns the first matching page. No match is ErrNotFound.
func (m *Module) Search(ctx context.Context, buf Buffer, start, count int) (page, score int, err error) {
	s, err := checkPage(InsSearch, "start page", start)
	if err != nil {
		return 0, 0, err
	}
	n, err := checkPage(InsSearch, "page count", count)
	if err != nil {
		return 0, 0, err
	}
	r, err := m.do(ctx, Search{Buffer: buf, Start: s, Count: n})
	if err != nil {
		return 0, 0, err
	}
	sr := r.(SearchReply)
	return int(sr.Page), int(sr.Score), nil
}

// Merge sends RegModel: char buffers 1 and 2 become one template, in both.
// Char files of different fingers are ErrMergeFailed.
func (m *Module) Merge(ctx context.Context) error {
	_, err := m.do(ctx, RegModel{})
	return err
}

// Store sends Store: buf is written to library page. A page beyond the
// library is ErrBadPage.
func (m *Module) Store(ctx context.Context, buf Buffer, page int) error {
	p, err := checkPage(InsStore, "page", page)
	if err != nil {
		return err
	}
	_, err = m.do(ctx, Store{Buffer: buf, Page: p})
	return err
}

// Load sends LoadChar: library page is read into buf. An empty page is
// ErrBadTemplate.
func (m *Module) Load(ctx context.Context, buf Buffer, page int) error {
	p, err := checkPage(InsLoadChar, "page", page)
	if err != nil {
		return err
	}
	_, err = m.do(ctx, LoadChar{Buffer: buf, Page: p})
	return err
}

// Upload sends UpChar and returns the char file or template in buf, as
// long as the module sends it, joined from its data packets.
func (m *Module) Upload(ctx context.Context, buf Buffer) ([]byte, error) {
	if err := m.begin(ctx, InsUpChar); err != nil {
		return nil, err
	}
	defer m.end()
	if _, err := m.roundTrip(ctx, UpChar{Buffer: buf}); err != nil {
		return nil, err
	}
	var (
		ps    []Packet
		total int
	)
	for {
		p, err := m.await(ctx, InsUpChar, Packet.IsData)
		if err != nil {
			return nil, err
		}
		if total += len(p.Data); total > MaxTransfer {
			return nil, fmt.Errorf("fpm: UpChar: %w: more than %d bytes", ErrTransfer, MaxTransfer)
		}
		ps = append(ps, p)
		if p.PID == PIDDataLast {
			b, err := JoinData(ps)
			if err != nil {
				return nil, fmt.Errorf("fpm: UpChar: %w", err)
			}
			return b, nil
		}
	}
}

// Download sends DownChar and then tmpl in data packets of the module's
// packet size, into buf. The module does not acknowledge the data packets:
// a Store or Match after it tells whether they arrived.
func (m *Module) Download(ctx context.Context, buf Buffer, tmpl []byte) error {
	if len(tmpl) > MaxTransfer {
		return fmt.Errorf("fpm: DownChar: %w: more than %d bytes", ErrTransfer, MaxTransfer)
	}
	if err := m.begin(ctx, InsDownChar); err != nil {
		return err
	}
	defer m.end()
	ps, err := SplitData(m.addr, tmpl, m.packetSize)
	if err != nil {
		return fmt.Errorf("fpm: DownChar: %w", err)
	}
	if _, err := m.roundTrip(ctx, DownChar{Buffer: buf}); err != nil {
		return err
	}
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fpm: DownChar: %w", err)
		}
		if err := m.send(InsDownChar, p); err != nil {
			return err
		}
	}
	return nil
}

// Delete sends DeleteChar: n library pages from page on are emptied.
func (m *Module) Delete(ctx context.Context, page, n int) error {
	p, err := checkPage(InsDeleteChar, "page", page)
	if err != nil {
		return err
	}
	c, err := checkPage(InsDeleteChar, "count", n)
	if err != nil {
		return err
	}
	_, err = m.do(ctx, DeleteChar{Page: p, Count: c})
	return err
}

// Empty sends Empty: every library page is emptied.
func (m *Module) Empty(ctx context.Context) error {
	_, err := m.do(ctx, Empty{})
	return err
}

// Count sends TemplateNum: how many library pages are used.
func (m *Module) Count(ctx context.Context) (int, error) {
	r, err := m.do(ctx, TemplateNum{})
	if err != nil {
		return 0, err
	}
	return int(r.(TemplateCount).Count), nil
}

// indexPages is how many index pages ReadIndexTable covers: 4 × 256 pages.
const indexPages = 4

// Index sends ReadIndexTable for index pages 0..3 and returns the used
// library pages in ascending order. A module that refuses an index page
// above 0 as beyond its library (ErrBadPage) has no pages there.
func (m *Module) Index(ctx context.Context) ([]int, error) {
	if err := m.begin(ctx, InsReadIndexTable); err != nil {
		return nil, err
	}
	defer m.end()
	used := []int{}
	for n := range indexPages {
		r, err := m.roundTrip(ctx, ReadIndexTable{Page: byte(n)})
		if n > 0 && errors.Is(err, ErrBadPage) {
			break
		}
		if err != nil {
			return nil, err
		}
		used = append(used, r.(IndexTable).Used(n)...)
	}
	return used, nil
}
